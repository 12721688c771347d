"""Turn a located value (spans of text) into a typed, normalised field value.

One converter per value type named in the document-type declarations; normalisers live in
extract/normalize.py so that every document type shares them.
"""
from __future__ import annotations

import re
from typing import Callable

from extract import normalize as N
from extract.layout import Value

from .base import ExtractedField

_NAME_KEEP = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·•A-Za-z]")


def _clean(text: str) -> str:
    return N.clean_spaces(N.to_halfwidth(text)) if text else ""


def conv_text(v: Value) -> str | None:
    t = _clean(v.text).strip(" :：")
    return t or None


def conv_name(v: Value) -> str | None:
    t = "".join(_NAME_KEEP.findall(v.text)).replace("•", "·")
    return t or None


def conv_sex(v: Value) -> str | None:
    return N.normalize_sex(_clean(v.text))


def conv_ethnicity(v: Value) -> str | None:
    return N.normalize_ethnicity(_clean(v.text))


def conv_date(v: Value) -> str | None:
    return N.normalize_date(v.text)


def conv_address(v: Value) -> str | None:
    t = "".join(_clean(s.text) for s in v.spans)
    return t or None


def conv_id_number(v: Value) -> str | None:
    t = N.normalize_id_number(v.text)
    return t or None


def conv_age(v: Value) -> str | None:
    return N.normalize_age(_clean(v.text))


CONVERTERS: dict[str, Callable[[Value], object]] = {
    "text": conv_text,
    "name": conv_name,
    "sex": conv_sex,
    "ethnicity": conv_ethnicity,
    "date": conv_date,
    "address": conv_address,
    "id_number": conv_id_number,
    "age": conv_age,
}


def to_field(kind: str, v: Value) -> ExtractedField:
    conv = CONVERTERS.get(kind, conv_text)
    return ExtractedField(
        value=conv(v),
        raw=v.text,
        bbox=v.bbox,
        char_confs=v.confs,
        source=v.source,
        alts=v.alts,
    )


def split_validity(v: Value) -> dict[str, ExtractedField]:
    """有效期限 2015.03.12-2035.03.12 (or -长期) -> valid_from, valid_to."""
    out: dict[str, ExtractedField] = {}
    pair = N.normalize_validity(v.text)
    if not pair:
        return out
    frm, to = pair
    text = v.text
    m = re.search(r"[-—－~至]", text)
    cut = m.start() if m else len(text) // 2
    confs = v.confs
    bbox = v.bbox
    left_box = right_box = bbox
    if len(v.spans) == 1 and bbox is not None:
        from extract.layout import char_boxes  # noqa: F401  (geometry of the single span)

        x0, y0, x1, y1 = bbox
        frac = cut / max(1, len(text))
        left_box = [x0, y0, x0 + frac * (x1 - x0), y1]
        right_box = [x0 + frac * (x1 - x0), y0, x1, y1]
    if frm:
        out["valid_from"] = ExtractedField(frm, text[:cut], left_box, confs[:cut], v.source)
    if to:
        out["valid_to"] = ExtractedField(to, text[cut + 1 :], right_box, confs[cut + 1 :], v.source)
    return out
