"""Masking of personal data for logs and the audit trail (uses matex.privacy)."""
from __future__ import annotations

from matex.privacy import CARD_KEYS, NAME_KEYS, mask_card, mask_id, mask_name, masker_for, redact, redact_result

ID_KEYS = {"id_number", "social_security_number", "card_number", "certificate_number", "person"}


def mask_value(key: str, value) -> str:
    """Mask one value by the field it belongs to (ID, card/account and name fields); anything
    else has ID and bank-card numbers in it masked."""
    if value is None:
        return ""
    s = str(value)
    m = masker_for(key)
    if m is not None:
        return m(s)
    return redact(s)


__all__ = ["ID_KEYS", "CARD_KEYS", "NAME_KEYS", "mask_card", "mask_id", "mask_name", "mask_value", "redact",
           "redact_result"]
