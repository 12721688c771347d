"""Personal data in logs, messages and exports: ID numbers, names and card/account numbers are
masked before they are written.

    >>> mask_id("110105194912310021")
    '110105********0021'
    >>> mask_name("张三")
    '张*'
    >>> mask_card("6222021234567890123")
    '622202*********0123'
    >>> redact("card 6222 0212 3456 7890, person 110105194912310021")
    'card 622202******7890, person 110105********0021'

- `redact(text)` masks what can be recognised in free text: 15/18-character ID numbers and
  bank-card / account numbers (16 to 19 digits, also written in groups of four).
- `redact_result(obj)` masks a whole extraction result (the contract's JSON): the values and raw
  readings of the ID, card and name fields, those same values wherever they occur in other strings
  (text lines, warnings, error messages), and whatever `redact` recognises.
- `RedactingFilter` does `redact` on every log record (message and traceback); `install_redaction()`
  puts it on the handlers of a command's loggers.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterable

_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{5})(\d{3}[\dXx]|\d{4})(?![0-9A-Za-z])")
# 16-19 digits, contiguous or in groups of four (separated by one space or hyphen); not part of a
# longer word or number, not the decimals of a float.
_CARD_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z.])(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9A-Za-z]|\.\d)"
)

# Field names of the contract (shared/contract/extraction-result.md) that hold personal data.
ID_KEYS = {"id_number", "social_security_number", "certificate_number", "person"}
CARD_KEYS = {"card_number", "account_number", "bank_account"}
NAME_KEYS = {"name", "patient_name", "deceased_name", "doctor"}


def mask_id(id_number: object) -> str:
    """Keep the division code (6) and the last 4 characters; mask the birth date and the rest."""
    if id_number is None:
        return ""
    s = str(id_number).strip()
    if len(s) <= 4:
        return "*" * len(s)
    if len(s) < 11:
        return "*" * (len(s) - 4) + s[-4:]
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_card(number: object) -> str:
    """A bank-card or account number: keep the first 6 digits (the issuer) and the last 4; spaces
    and hyphens are dropped. Short numbers keep only their last 4."""
    if number is None:
        return ""
    s = re.sub(r"[\s-]", "", str(number))
    return mask_id(s)


def mask_name(name: object) -> str:
    """Keep the first character (usually the surname): 张三 → 张*, 欧阳娜娜 → 欧***."""
    if not name:
        return ""
    s = str(name).strip()
    if len(s) <= 1:
        return "*"
    return s[0] + "*" * (len(s) - 1)


def redact(text: str) -> str:
    """Mask every 15- or 18-character ID number and every bank-card number found in free text."""
    out = _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)
    return _CARD_IN_TEXT.sub(lambda m: mask_card(m.group(0)), out)


def masker_for(key: str) -> Callable[[object], str] | None:
    """The masking of a field by its name (None: not a personal field)."""
    if key in ID_KEYS:
        return mask_id
    if key in CARD_KEYS:
        return mask_card
    if key in NAME_KEYS:
        return mask_name
    return None


# ------------------------------------------------------------------ whole results
KEEP_KEYS = ("source", "sha256", "duplicate_of")  # batch bookkeeping: the manifest's keys


def _known_values(obj: Any) -> dict[str, str]:
    """{value: masked} of every personal field value (and raw reading) in a result."""
    found: dict[str, str] = {}
    for doc in (obj.get("documents") or []) if isinstance(obj, dict) else []:
        if not isinstance(doc, dict):
            continue
        for key, f in (doc.get("fields") or {}).items():
            m = masker_for(key)
            if m is None or not isinstance(f, dict):
                continue
            for v in (f.get("value"), f.get("raw")):
                if isinstance(v, str) and len(v.strip()) >= 2:
                    found[v.strip()] = m(v)
    return found


def _replace_known(s: str, known: list[tuple[str, str]]) -> str:
    for plain, masked in known:
        if plain in s:
            s = s.replace(plain, masked)
    return s


def redact_result(obj: dict[str, Any], keep: Iterable[str] = KEEP_KEYS) -> dict[str, Any]:
    """A masked copy of an extraction result (the input is not changed).

    Personal fields (`ID_KEYS`, `CARD_KEYS`, `NAME_KEYS` under a document's `fields`) have their
    `value` and `raw` masked; every other string (text lines, warnings, errors, extra keys) has
    those same values masked wherever they occur, then ID and card numbers masked (`redact`).
    Keys in `keep` at the top level stay as they are (`source` is the batch's key of the input).
    Names that occur only in free text, never as a field, cannot be recognised."""
    known = sorted(_known_values(obj).items(), key=lambda kv: -len(kv[0]))  # longest first

    def text(s: str) -> str:
        return redact(_replace_known(s, known))

    def walk(o: Any) -> Any:
        if isinstance(o, str):
            return text(o)
        if isinstance(o, list):
            return [walk(v) for v in o]
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        return o

    def field(key: str, f: Any) -> Any:
        m = masker_for(key)
        if m is None or not isinstance(f, dict):
            return walk(f)
        out = {}
        for k, v in f.items():
            if k in ("value", "raw") and isinstance(v, str):
                out[k] = m(v)
            else:
                out[k] = walk(v)
        return out

    def document(d: Any) -> Any:
        if not isinstance(d, dict):
            return walk(d)
        return {k: ({fk: field(fk, fv) for fk, fv in v.items()} if k == "fields" and isinstance(v, dict) else walk(v))
                for k, v in d.items()}

    keep = set(keep)
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k in keep:
            out[k] = v
        elif k == "documents" and isinstance(v, list):
            out[k] = [document(d) for d in v]
        else:
            out[k] = walk(v)
    return out


# ------------------------------------------------------------------ logging
class RedactingFilter(logging.Filter):
    """A logging filter that masks ID and card numbers in every record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        red = redact(msg)
        if red != msg:
            record.msg, record.args = red, None
        if record.exc_info and not record.exc_text:  # the formatter uses exc_text when it is set
            try:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            except Exception:
                pass
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


LOGGER_NAMES = ("matex", "api", "batch", "crosscheck", "uvicorn", "uvicorn.error", "uvicorn.access")


def install_redaction(level: int | None = None, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> None:
    """Put a RedactingFilter on every handler of the root logger (configuring one on stderr when
    there is none, at `level`, default WARNING) and on the loggers of LOGGER_NAMES themselves
    (records logged through them are masked even by handlers configured later, e.g. uvicorn's).
    Idempotent."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level if level is not None else logging.WARNING, format=fmt)
    for h in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in h.filters):
            h.addFilter(RedactingFilter())
    for name in LOGGER_NAMES:
        lg = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in lg.filters):
            lg.addFilter(RedactingFilter())


__all__ = ["mask_id", "mask_card", "mask_name", "redact", "redact_result", "masker_for", "RedactingFilter",
           "install_redaction", "ID_KEYS", "CARD_KEYS", "NAME_KEYS"]
