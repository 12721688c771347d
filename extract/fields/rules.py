"""The rule-based field extractor: labels and geometry, driven by the YAML declarations."""
from __future__ import annotations

import re

from extract.layout import Value, find_labels, pair_values, span_of, spans_in_box
from ocr.base import OcrLine
from schemas.doctypes import DocType

from . import register_extractor
from .base import ExtractedField
from .values import split_validity, to_field


def _pattern_in(lines: list[OcrLine], line_ids: list[int] | None, pattern: re.Pattern) -> Value | None:
    """The longest match of `pattern` (spaces ignored) in the given lines."""
    best = None
    ids = line_ids if line_ids is not None else range(len(lines))
    for li in ids:
        text = lines[li].text
        pos = [i for i, ch in enumerate(text) if not ch.isspace()]
        sq = "".join(text[i] for i in pos)
        for m in pattern.finditer(sq):
            if best is None or (m.end() - m.start()) > best[0]:
                best = (m.end() - m.start(), li, pos[m.start()], pos[m.end() - 1] + 1)
    if best is None:
        return None
    _, li, a, b = best
    return Value([span_of(lines, li, a, b)], source="pattern")


@register_extractor("rules")
class RuleExtractor:
    name = "rules"

    def extract(self, doctype: DocType, lines: list[OcrLine], view_size: tuple[int, int]) -> dict[str, ExtractedField]:
        W, H = view_size
        label_map = {f: s.labels for f, s in doctype.fields.items() if s.labels}
        labels = find_labels(lines, label_map)
        values = pair_values(
            lines,
            labels,
            multiline={f: s.multiline for f, s in doctype.fields.items()},
            below={f: s.below for f, s in doctype.fields.items()},
        )
        out: dict[str, ExtractedField] = {}
        for fname, spec in doctype.fields.items():
            v = values.get(fname)
            if spec.pattern:
                pat = re.compile(spec.pattern)
                found = None
                if v is not None and v.spans:
                    found = _pattern_in(lines, sorted({s.line for s in v.spans}), pat)
                if found is None:
                    found = _pattern_in(lines, None, pat)
                if found is not None:
                    v = found
            if (v is None or not v.spans) and spec.template and doctype.layout == "card":
                t = spec.template
                v = spans_in_box(lines, [t[0] * W, t[1] * H, t[2] * W, t[3] * H], exclude=labels)
            if v is None or not v.spans:
                continue
            if spec.split:
                if spec.type == "validity":
                    out.update(split_validity(v))
                continue
            f = to_field(spec.type, v)
            if f.value is not None:
                out[fname] = f
        return out
