"""Masking of personal data for logs and the audit trail (uses matex.privacy)."""
from __future__ import annotations

from matex.privacy import mask_id, mask_name, redact

ID_KEYS = {"id_number", "social_security_number", "card_number", "certificate_number", "person"}
NAME_KEYS = {"name", "patient_name", "deceased_name", "doctor"}


def mask_value(key: str, value) -> str:
    """Mask one value by the field it belongs to; anything else has ID numbers in it masked."""
    if value is None:
        return ""
    s = str(value)
    if key in ID_KEYS:
        return mask_id(s)
    if key in NAME_KEYS:
        return mask_name(s)
    return redact(s)


__all__ = ["mask_id", "mask_name", "mask_value", "redact"]
