"""The rule-based field extractor: labels and geometry, driven by the YAML declarations.

For each declared field, in this order of evidence:
1. a fill-in sentence of the type (`sentences:`), when the document prints one;
2. its label and the value next to, right of or under it (`extract.layout`);
3. its `pattern`, in the label's value lines, else on the page (or inside `within`);
4. on cards, the `template` box where the value is printed.
Tables (`type: table`) come from `extract.tables`. Seal and stamp text (`extract.seals`) is
removed first: it never becomes a value.
"""
from __future__ import annotations

import re
import unicodedata

import cv2
import numpy as np

from extract import choices, seals
from extract.layout import (OTHER, Label, Span, Value, find_labels, join_split_labels, line_between, pair_values,
                            reading_order, span_of, spans_in_box, split_stacked, typical_height)
from extract.tables import (ITEM_KEYS, check_cells, derive_missing_flags, drop_bare, find_tables, full_width_separator,
                            harmonize_power_units, harmonize_ranges, missing_units, table_items)
from extract.verify import COPY_NOTE_CHARS
from ocr.base import OcrLine
from schemas.doctypes import DocType, FieldSpec

from . import register_extractor
from .base import ExtractedField
from .values import LATIN_LOOKALIKE, split_validity, time_impossible, to_field

_SKIP = re.compile(r"[\s\u3000_＿]")


_SKIP_RULES = re.compile(r"[\s\u3000_＿|丨｜]")  # digits printed in boxes: the box sides read as |
# a speck of toner or a seal's dot read inside a number (150922·19720810400443)
_SKIP_SPECKS = re.compile(r"[\s\u3000_＿·•˙`'‘’]")
# both: digits in boxes with a speck in one (5|4|0|6|3 |0.|1 |9…), a point among them too
_SKIP_BOXED_SPECKS = re.compile(r"[\s\u3000_＿|丨｜·•˙`'‘’.]")


def _joined(lines: list[OcrLine], ids: list[int], skip: re.Pattern = _SKIP) -> tuple[str, list[tuple[int, int]]]:
    """Text of the lines `ids` (in that order), spaces and underscores dropped, half-width
    folded, with each character's (line, offset). A line that begins inside the box of the
    line before it on its row does not repeat the characters both read there
    (:func:`_read_at_seam`)."""
    text, where = [], []
    prev = None
    for li in ids:
        first = _read_at_seam(lines[prev], lines[li]) if prev is not None else 0
        for ci, ch in enumerate(lines[li].text):
            if ci < first or skip.match(ch):
                continue
            text.append(_folded(ch))
            where.append((li, ci))
        prev = li
    return "".join(text), where


def _read_at_seam(a: OcrLine, b: OcrLine) -> int:
    """How many of `b`'s first characters repeat `a`'s last ones, read twice where the
    detector's boxes of two pieces of one row overlap (…ID号61065933 | 3），经检查…: the 3 in
    both): as many characters as fit in the overlap, when they are the same text. 0 otherwise."""
    ab, bb = a.bbox, b.bbox
    ov = ab[2] - bb[0]
    ta, tb = a.text.rstrip(), b.text.lstrip()
    if ov <= 0 or bb[2] <= ab[2] or not ta or not tb:
        return 0
    inter = min(ab[3], bb[3]) - max(ab[1], bb[1])
    if inter < 0.5 * min(ab[3] - ab[1], bb[3] - bb[1]):
        return 0
    k = int(round(ov / ((bb[2] - bb[0]) / len(tb))))
    if k < 1 or k >= len(tb) or k > len(ta) or ta[-k:] != tb[:k]:
        return 0
    return k + (len(b.text) - len(tb))


def _folded(ch: str) -> str:
    """A character as a pattern sees it: half-width (NFKC), a Latin look-alike as the capital."""
    f = unicodedata.normalize("NFKC", LATIN_LOOKALIKE.get(ch, ch))
    return f[:1] if f else ch


def _value_from(lines: list[OcrLine], where: list[tuple[int, int]], a: int, b: int, source: str) -> Value:
    """A Value for the joined-text range [a, b): one span per line it runs over."""
    spans: list[Span] = []
    run: list[tuple[int, int]] = []
    for li, ci in where[a:b] + [(-1, -1)]:
        if run and (li != run[0][0]):
            spans.append(span_of(lines, run[0][0], run[0][1], run[-1][1] + 1))
            run = []
        if li >= 0:
            run.append((li, ci))
    return Value(spans, source=source)


def _rows(lines: list[OcrLine], ids: list[int]) -> list[list[int]]:
    """The lines `ids` grouped into rows, each left to right."""
    rows: list[list[int]] = []
    for li in [i for i in reading_order(lines) if i in set(ids)]:
        b = lines[li].bbox
        cy, h = (b[1] + b[3]) / 2, b[3] - b[1]
        if rows:
            rb = lines[rows[-1][-1]].bbox
            if abs(cy - (rb[1] + rb[3]) / 2) < 0.5 * min(h, rb[3] - rb[1]) and b[0] >= rb[0]:
                rows[-1].append(li)
                continue
        rows.append([li])
    return rows


def _pattern_in(lines: list[OcrLine], line_ids: list[int] | None, pattern: re.Pattern) -> Value | None:
    """The longest match of `pattern` (spaces ignored) in one of the given lines, else in one
    row of them joined (a card number printed in separate groups). A named group `v` is the
    value inside the match."""
    ids = list(line_ids) if line_ids is not None else list(range(len(lines)))

    def best_in(groups: list[list[int]], skip: re.Pattern = _SKIP):
        best = None
        for g in groups:
            text, where = _joined(lines, g, skip)
            for m in pattern.finditer(text):
                a, b = (m.start("v"), m.end("v")) if "v" in pattern.groupindex and m.group("v") else (m.start(), m.end())
                if b > a and (best is None or b - a > best[0]):
                    best = (b - a, where, a, b)
        return best

    best = best_in([[li] for li in ids])
    if best is not None:
        # a number whose last group the OCR read as a line of its own (6210 6949 9679 9401 | 4)
        ext = _continued(lines, ids, best, best_in)
        if ext is not None:
            best = ext
    if best is None:
        multi = [r for r in _rows(lines, ids) if len(r) > 1]
        best = best_in(multi)
    if best is None:  # one character per printed box, the box sides read as |
        best = best_in(_rows(lines, ids), _SKIP_RULES)
    if best is None:  # a speck read between the characters
        best = best_in([[li] for li in ids], _SKIP_SPECKS)
    if best is None:
        best = best_in(_rows(lines, ids), _SKIP_BOXED_SPECKS)
    if best is None:
        return None
    _, where, a, b = best
    return _value_from(lines, where, a, b, "pattern")


def _continued(lines: list[OcrLine], ids: list[int], best: tuple, best_in) -> tuple | None:
    """The match `best` (in one line) run on into the next lines of its row, when the row's
    lines stand close together (at most 1.5 line heights apart) and what the longer match adds
    is digits only: None when there is no such longer match."""
    _, where, a, b = best
    li = where[a][0]
    if where[b - 1] != (li, max(i for l2, i in where if l2 == li)):
        return None  # the match does not run to the end of its line
    row = next((r for r in _rows(lines, ids) if li in r), [li])
    k = row.index(li)
    chain = [li]
    for lj in row[k + 1:]:
        p, q = lines[chain[-1]].bbox, lines[lj].bbox
        if q[0] - p[2] > 1.5 * max(p[3] - p[1], q[3] - q[1]):
            break
        chain.append(lj)
    if len(chain) < 2:
        return None
    ext = best_in([chain])
    if ext is None or ext[0] <= best[0]:
        return None
    _, w2, a2, b2 = ext
    if w2[a2] != where[a]:
        return None  # not the same number, continued
    added = "".join(lines[l2].text[i] for l2, i in w2[a2:b2] if l2 != li)
    return ext if added and all(ch.isdigit() for ch in added) else None


def _read_again(lines: list[OcrLine], v: Value, spec: FieldSpec) -> ExtractedField | None:
    """A value line that holds no value of its field's kind (202.10-05 for a date) with another
    line read over the same place (its box mostly inside the value's, on its row): that other
    reading's value, when it has one. None otherwise."""
    li = v.spans[0].line
    b = lines[li].bbox
    for lj, l in enumerate(lines):
        c = l.bbox
        if lj == li or (c[2] - c[0]) * (c[3] - c[1]) <= 0:
            continue
        ix = max(0.0, min(b[2], c[2]) - max(b[0], c[0]))
        iy = max(0.0, min(b[3], c[3]) - max(b[1], c[1]))
        if ix * iy < 0.7 * (c[2] - c[0]) * (c[3] - c[1]) or (c[2] - c[0]) < 0.5 * (b[2] - b[0]):
            continue
        sp = span_of(lines, lj, 0, len(l.text))
        f = to_field(spec.type, Value([sp], source=v.source))
        if f.value is not None and not _rejected(spec, f.value):
            return f
    return None


# a row of boxed digits with one box the detector lost: a gap between two pieces of the row this
# share of the box pitch or more (and no more than one box wide), every other gap under
# BOX_GAP_OTHERS of it; the digit the check character then allows is read at INFERRED_DIGIT_CONF
BOX_GAP = (0.6, 1.6)
BOX_GAP_OTHERS = 0.35
INFERRED_DIGIT_CONF = 0.3
_BOXED_PIECE = re.compile(r"[\s\u3000|丨｜]*[0-9][0-9\s\u3000|丨｜]*[Xx]?[\s\u3000|丨｜]*")


def box_gap_digit(lines: list[OcrLine], ids: list[int]) -> OcrLine | None:
    """An ID number printed one digit per box whose row was read in pieces with 17 digits in
    all and one box-wide gap between two pieces (a 1 swallowed by its box's sides): a line for
    the missing digit in that gap, the one digit with which the number is valid (its check
    character holds, its birth date is a date), read at :data:`INFERRED_DIGIT_CONF`. None when
    the row is not such, the gap is not one box, another gap is wide too, or no digit or
    (never, the check character being what it is) two fit."""
    from extract.checks.idnumber import validate

    row = sorted(ids, key=lambda li: lines[li].bbox[0])
    pieces = [li for li in row if _BOXED_PIECE.fullmatch(lines[li].text)]
    if len(pieces) < 2 or len(pieces) != len(row):
        return None
    digits = [re.sub(r"[^0-9Xx]", "", lines[li].text).upper() for li in pieces]
    if sum(map(len, digits)) != 17:
        return None
    pitch = float(np.median([(lines[li].bbox[2] - lines[li].bbox[0]) / len(d) for li, d in zip(pieces, digits)]))
    gaps = [lines[b].bbox[0] - lines[a].bbox[2] for a, b in zip(pieces, pieces[1:])]
    wide = [i for i, g in enumerate(gaps) if g >= BOX_GAP[0] * pitch]
    if len(wide) != 1 or gaps[wide[0]] > BOX_GAP[1] * pitch or any(
            g >= BOX_GAP_OTHERS * pitch for i, g in enumerate(gaps) if i != wide[0]):
        return None
    k = sum(len(d) for d in digits[: wide[0] + 1])
    read = "".join(digits)
    fits = [d for d in "0123456789" if validate(read[:k] + d + read[k:]).ok]
    if len(fits) != 1:
        return None
    a, b = lines[pieces[wide[0]]].bbox, lines[pieces[wide[0] + 1]].bbox
    y0, y1 = min(a[1], b[1]), max(a[3], b[3])
    return OcrLine(fits[0], INFERRED_DIGIT_CONF, [(a[2], y0), (b[0], y0), (b[0], y1), (a[2], y1)],
                   char_confidences=[INFERRED_DIGIT_CONF])


def _checked_id_on_page(lines: list[OcrLine], pattern: re.Pattern) -> Value | None:
    """An ID number whose label was not read (证件号码 read 4合29码): the one number on the page,
    read whole in one line, whose check digit holds (a misread digit fails it, so what is
    taken is the number as printed); None when there is none or more than one."""
    from extract.checks.idnumber import normalize_id_number, validate

    got: dict[str, Value] = {}
    for li in range(len(lines)):
        v = _pattern_in(lines, [li], pattern)
        if v is None:
            continue
        n = normalize_id_number(v.text)
        if n and validate(n).checksum_ok:
            got.setdefault(n, v)
    return next(iter(got.values())) if len(got) == 1 else None


def _pattern_in_value(lines: list[OcrLine], v: Value, pattern: re.Pattern) -> Value | None:
    """The longest match of `pattern` inside the value's own text (its spans joined)."""
    text, where = [], []
    for sp in v.spans:
        for ci in range(sp.start, sp.end):
            ch = lines[sp.line].text[ci]
            if _SKIP.match(ch):
                continue
            text.append(_folded(ch))
            where.append((sp.line, ci))
    joined = "".join(text)
    best = None
    for m in pattern.finditer(joined):
        a, b = (m.start("v"), m.end("v")) if "v" in pattern.groupindex and m.group("v") else (m.start(), m.end())
        if b > a and (best is None or b - a > best[1] - best[0]):
            best = (a, b)
    if best is None:
        return None
    return _value_from(lines, where, best[0], best[1], v.source)


def _row_right(lines: list[OcrLine], li: int) -> list[int]:
    """Line `li` and the lines right of it on its row."""
    b = lines[li].bbox
    h = b[3] - b[1]
    out = [li]
    for j, l in enumerate(lines):
        c = l.bbox
        if j != li and c[0] >= b[0] and min(c[3], b[3]) - max(c[1], b[1]) > 0.5 * min(h, c[3] - c[1]):
            out.append(j)
    return out


def _row_before_label(lines: list[OcrLine], li: int, labels, fname: str) -> list[int]:
    """Line `li` and the lines right of it on its row, up to the next label of another field
    (入院日期 2025/02 | 出院时间 2025/03/27: the second date is not the first's)."""
    row = _row_right(lines, li)
    stops = [lab for lab in labels if lab.field != fname and lab.line in row and lab.line != li]
    stop = min((lab.bbox[0] for lab in stops), default=float("inf"))
    held = {lab.line for lab in stops}
    return [j for j in row if j == li or (j not in held and lines[j].bbox[0] < stop)]


_OPTION_HEAD = re.compile(rf"[\s\u3000]*[{choices.BOXES}]")


def _whole_option_row(lines: list[OcrLine], v: Value) -> Value:
    """An option list the OCR cut into several lines: the value's line and the lines right of
    it on its row that hold options too (a mark on any of them counts)."""
    first = v.spans[0].line
    spans = list(v.spans)
    taken = {sp.line for sp in spans}
    head = re.compile(rf"[\s\u3000]*(?:[{choices.BOXES}{choices.MARKS}]|\d{{1,2}}\s*[.、．]|[.、．])")
    for li in sorted(_row_right(lines, first), key=lambda j: lines[j].bbox[0]):
        # two boxes of one row may overlap by a little (the OCR's boxes are padded)
        h = lines[first].bbox[3] - lines[first].bbox[1]
        if li in taken or lines[li].bbox[0] < lines[first].bbox[2] - 0.3 * h:
            continue
        t = lines[li].text
        if not head.match(t):  # the next thing on the row is not an option: the list has ended
            break
        spans.append(span_of(lines, li, 0, len(t)))
        taken.add(li)
    return Value(spans, source=v.source)


def _uncut(lines: list[OcrLine], v: Value, labels: list[Label], taken: set[tuple[int, int]]) -> tuple[Value, bool]:
    """A template box's value whose line the box cut (村十组99号 with only 9号 inside: the label
    column lost at the card's edge, the values printed further left than the template has
    them): each such span runs on to its line's start, label text left out, and the value is
    no longer sure (True). A line cut at its right end stays cut (a photo lies right of a
    card's values), and makes the value unsure all the same. `taken`: (line, character) read
    into other fields."""
    spans: list[Span] = []
    cut = False
    for sp in v.spans:
        if any(s2.line == sp.line and s2 is not sp for s2 in v.spans):
            spans.append(sp)  # a line the box took in pieces (a label between them): as it is
            continue
        text = lines[sp.line].text
        own = [i for i in range(len(text)) if text[i].isalnum() and (sp.line, i) not in taken
               and not any(l.line == sp.line and l.start <= i < l.end for l in labels)]
        before = [i for i in own if i < sp.start]
        after = [i for i in own if i >= sp.end]
        cut = cut or bool(before or after)
        if before and all(b + 1 == c for b, c in zip(before, before[1:] + [sp.start])):
            sp = span_of(lines, sp.line, before[0], sp.end)
        spans.append(sp)
    return Value(spans, source=v.source), cut


def _within(lines: list[OcrLine], box: list[float] | None, size: tuple[int, int]) -> list[int] | None:
    if box is None:
        return None
    W, H = size
    x0, y0, x1, y1 = box[0] * W, box[1] * H, box[2] * W, box[3] * H
    out = []
    for li, l in enumerate(lines):
        b = l.bbox
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            out.append(li)
    return out


def sentence_values(lines: list[OcrLine], doctype: DocType) -> dict[str, Value]:
    """Fields from the type's fill-in sentences (first match of each pattern wins)."""
    if not doctype.sentences or not lines:
        return {}
    order = reading_order(lines)
    text, where = _joined(lines, order)
    # where the text jumps down more than two lines' heights (the sentence's paragraph has
    # ended: what follows is the date and the signatures, or a footnote) a value ends too
    breaks = []
    for k in range(1, len(where)):
        (pl, _), (nl, _) = where[k - 1], where[k]
        if pl != nl:
            pb, nb = lines[pl].bbox, lines[nl].bbox
            if nb[1] - pb[3] > 2.0 * max(1.0, min(pb[3] - pb[1], nb[3] - nb[1])):
                breaks.append(k)
    out: dict[str, Value] = {}
    for s in doctype.sentences:
        if not re.search(s.when, text):
            continue
        for pat in s.patterns:
            m = re.search(pat, text)
            if not m:
                continue
            for name, g in m.groupdict().items():
                if g and name not in out and name in doctype.fields:
                    a, b = m.start(name), m.end(name)
                    b = min([k for k in breaks if a < k < b] + [b])
                    v = _value_from(lines, where, a, b, "sentence")
                    if v.spans:
                        out[name] = v
    return out


def table_field(lines: list[OcrLine], spec: FieldSpec, image: np.ndarray | None) -> ExtractedField | None:
    """A list field from the table(s): items in reading order, left table before right."""
    tables = find_tables(lines, spec.columns, image=image, end=spec.end)
    if not tables:
        return None
    items, confs, cells, raws, derived = [], [], [], [], []
    clean = seals.remove_seals(image) if image is not None else None
    page_items = []
    for tb in tables:
        tb_items = table_items(tb, keep_bare=True)
        check_cells(tb, tb_items, clean)
        page_items.extend(drop_bare(tb_items))
    # the tables of one page print their ranges and count units alike (side by side: one template)
    harmonize_ranges(page_items)
    if len(tables) > 1:
        harmonize_power_units(page_items)
    full_width_separator(lines, [tb.bbox for tb in tables], page_items)
    missing_units(page_items)
    derive_missing_flags(page_items)
    for it in page_items:
        if it.flag_source == "derived":
            derived.append(len(items))
        items.append(it.value)
        for k in ITEM_KEYS:
            c = it.cell_confs.get(k)
            if c:
                confs.extend(c)
                cells.append(c)
        raws.append(" ".join(it.value.get(k, "") for k in ITEM_KEYS if it.value.get(k)))
    if not items:
        return None
    bs = [tb.bbox for tb in tables]
    bbox = [min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)]
    return ExtractedField(items, "\n".join(raws), bbox, confs, "table", notes={"cell_confs": cells, "tables": len(tables), "derived_flags": derived})


# unread ink (share of the box) right of an empty row's label that means a value was there
UNREAD_ROW_INK = 0.01


# a line this many times as tall as a label is a stamp's or a watermark's words, not print of a row
STAMP_LINE_HEIGHT = 3.0


def _unread_rows(image: np.ndarray, lines: list[OcrLine], labels: list[Label], names: list[str], got: list) -> bool:
    """Does a row of a collected chain that gave no part (引起(b)的疾病或情况 with its disease
    faded) hold print right of its label that no line read?"""
    from extract.reread import unread_ink

    by_name = {lab.field: lab for lab in labels}
    W = image.shape[1]
    for name, part in zip(names, got):
        lab = by_name.get(name)
        if part is not None or lab is None:
            continue
        b = lab.bbox
        h = b[3] - b[1]
        box = [b[2] + 0.5 * h, b[1] + 0.15 * h, min(W, b[2] + 14 * h), b[3] - 0.15 * h]
        # a line far taller than the label (a stamp's 复印无效 read across the rows) reads
        # none of the row's print
        boxes = [l.bbox for l in lines if l.bbox[3] - l.bbox[1] <= STAMP_LINE_HEIGHT * h]
        if unread_ink(image, box, boxes) > UNREAD_ROW_INK:
            return True
    return False


def _rejected(spec: FieldSpec, value) -> bool:
    """Is the value one the field's declaration rules out (`reject`), or a piece of a copy's
    note (仅供 of 此复印件仅供社保业务使用, written across the page) and nothing else?"""
    if not isinstance(value, str):
        return False
    bare = re.sub(r"\s+", "", value)
    if len(bare) >= 2 and all(ch in COPY_NOTE_CHARS for ch in bare):
        return True
    return bool(spec.reject) and re.fullmatch(spec.reject, bare) is not None


def _merge_parts(parts: list[ExtractedField]) -> ExtractedField:
    vals = [str(p.value) for p in parts if p.value]
    bs = [p.bbox for p in parts if p.bbox]
    bbox = [min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)] if bs else None
    return ExtractedField(
        "；".join(vals) or None, "；".join(p.raw for p in parts), bbox, [c for p in parts for c in p.char_confs], parts[0].source
    )


# a share of the label column's box in dark ink (not a coloured seal or pen) that shows an
# unread label (or a signature written over one) beside a line
LABEL_COLUMN_INK = 0.04
# a continuation line of a multi-line value is as tall as the line above it, within this factor
CONTINUATION_HEIGHT = 1.35


def _dark_ink(image: np.ndarray, box: list[float], paper: float) -> float:
    """Share of `box` (view pixels) in dark, unsaturated ink (print or a black pen), against the
    paper around the box where that is darker than the page's (a photo's shading: the paper
    in the shade is no ink)."""
    return seals.grey_ink_share(image, box, min(paper, _paper_near(image, box)), dark=0.6, spread=50, min_side=4)


def _character_ink(image: np.ndarray, box: list[float], paper: float, lh: float) -> float:
    """Share of `box` in ink of pieces of print of the box's own row: no taller than a line, with
    their middle in the row: a label's characters, not the stroke of a large watermark character
    or a stamp's ring reaching far above or below the row (复印无效 across the label column), nor
    the label above's strokes and underline reaching into it."""
    H, W = image.shape[:2]
    pad = int(1.5 * lh)
    x0, x1 = max(0, int(box[0])), min(W, int(box[2]))
    y0, y1 = max(0, int(box[1]) - pad), min(H, int(box[3]) + pad)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0.0
    g = image[y0:y1, x0:x1]
    g = g.mean(axis=2) if g.ndim == 3 else g.astype(np.float32)
    pp = min(paper, _paper_near(image, box))
    darkest = float(np.percentile(g, 1))
    if pp - darkest < 40:
        return 0.0  # no ink to speak of
    ink = (g < pp - 0.5 * (pp - darkest)).astype(np.uint8)
    n, lab, st, _ = cv2.connectedComponentsWithStats(ink, 8)
    a, b = int(box[1]) - y0, int(box[3]) - y0
    # pieces of print of this row: no taller than a line, their middle within the row (the
    # label above's strokes and its underline, reaching down into the box, are not)
    mid = st[:, cv2.CC_STAT_TOP] + st[:, cv2.CC_STAT_HEIGHT] / 2
    small = (st[:, cv2.CC_STAT_HEIGHT] <= 1.6 * lh) & (mid >= a) & (mid <= b)
    small[0] = False
    keep = small[lab]
    inside = keep[max(0, a):max(0, b)]
    return float(inside.mean()) if inside.size else 0.0


def _paper_near(image: np.ndarray, box: list[float]) -> float:
    """The paper's grey in and just above and below `box` (its 90th percentile)."""
    H, W = image.shape[:2]
    h = box[3] - box[1]
    x0, x1 = max(0, int(box[0])), min(W, int(box[2]))
    y0, y1 = max(0, int(box[1] - h)), min(H, int(box[3] + h))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 255.0
    return _paper(image[y0:y1, x0:x1])


def _paper(image: np.ndarray) -> float:
    g = image.mean(axis=2) if image.ndim == 3 else image
    return float(np.percentile(g[:: 4, :: 4], 90)) if g.size else 255.0


def _opened_by_label(lines: list[OcrLine], v: Value, labels: list[Label], fname: str, spec: FieldSpec) -> tuple[Value, bool]:
    """The value with its label put back in front when the label is one of the field's
    `opens_value` words run into the text on its line (建议专人陪护: the advice, its form's
    label 医嘱 not read), and whether it was."""
    if not spec.opens_value or not v.spans:
        return v, False
    first = v.spans[0]
    for lab in labels:
        if lab.field != fname or lab.line != first.line or lab.strength != 0 or lab.label not in spec.opens_value:
            continue
        if lab.end <= first.start and not lines[lab.line].text[lab.end:first.start].strip():
            return Value([span_of(lines, lab.line, lab.start, first.end)] + list(v.spans[1:]), source=v.source), True
    return v, False


def _own_label(v: Value, labels: list[Label], fname: str) -> Label | None:
    """The label of `fname` that the value was paired with: the nearest one left of or above
    the value's first line."""
    b0 = v.spans[0].bbox
    best, bestd = None, 1e18
    for lab in labels:
        if lab.field != fname:
            continue
        lb = lab.bbox
        h = max(1.0, b0[3] - b0[1])
        # (a value under its label may start a little left of it: 2.最后诊断： over its text)
        above = lb[3] <= b0[1] + 0.5 * h and lb[0] <= b0[0] + 3 * h
        if (lb[0] > b0[0] + 1 and not above) or lb[1] > b0[3]:
            continue
        d = abs((lb[1] + lb[3]) - (b0[1] + b0[3])) / 2 + max(0.0, b0[0] - lb[2]) * 0.1
        if d < bestd:
            best, bestd = lab, d
    return best


def _edges_at(line: OcrLine, x: float) -> tuple[float, float]:
    """The top and bottom of a line's text at `x` (view pixels), along its polygon: a line of a
    photo slants, and its upright box is taller than its text."""
    p = line.polygon
    if len(p) != 4:
        return line.bbox[1], line.bbox[3]
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = p

    def at(ax, ay, bx, by):
        if abs(bx - ax) < 1e-6:
            return (ay + by) / 2
        t = min(1.0, max(0.0, (x - ax) / (bx - ax)))
        return ay + t * (by - ay)

    top, bottom = at(x0, y0, x1, y1), at(x3, y3, x2, y2)
    return (top, bottom) if bottom > top else (line.bbox[1], line.bbox[3])


def _continued_rows(lines: list[OcrLine], v: Value, limit: int, gap: float, busy: set[int],
                    labels: list[Label], lab: Label | None) -> Value:
    """A multi-line value with the lines that continue it below, measured along the lines'
    slant (on a photo a line's upright box overlaps the line under it, and the layout's own
    search, by upright boxes, stops short): the next line down starting at the value's left
    edge, as tall as its line, within `gap` line heights, neither a label's line nor another
    value's, nor on a row that a label left of it starts."""
    spans = list(v.spans)
    taken = {sp.line for sp in spans} | busy | {l.line for l in labels}
    while len(spans) < limit:
        last = spans[-1]
        x = last.bbox[0]
        t, b = _edges_at(lines[last.line], x)
        h = max(1.0, b - t)
        best, best_top = None, 1e18
        for li, line in enumerate(lines):
            if li in taken or not line.text.strip():
                continue
            lb = line.bbox
            if abs(lb[0] - x) > 1.5 * h:
                continue
            ct, cb = _edges_at(line, lb[0])
            lt, lbm = _edges_at(lines[last.line], lb[0])
            if ct < lt + 0.5 * h or ct - lbm > gap * h or ct - lbm < -0.3 * h:
                continue
            if not (1 / CONTINUATION_HEIGHT <= (cb - ct) / h <= CONTINUATION_HEIGHT):
                continue
            if ct < best_top:
                best, best_top = li, ct
        if best is None:
            break
        nb = lines[best].bbox
        if line_between(lines, lines[last.line].bbox, best, {sp.line for sp in spans}, h):
            break  # another line between them (a section's heading): the value ended above it  # another line between them (a section's heading): the value ended above it
        left = lab.bbox[0] - 1.5 * h if lab is not None else -1e18
        if any(left <= l.bbox[2] <= nb[0] + 0.5 * h and min(l.bbox[3], nb[3]) - max(l.bbox[1], nb[1]) > 0.5 * h
               for l in labels):
            break  # a label left of it: the next row of the form
        sp = span_of(lines, best, 0, len(lines[best].text))
        if sp is None or not sp.text.strip():
            break
        spans.append(sp)
        taken.add(best)
    return v if len(spans) == len(v.spans) else Value(spans, source=v.source)


def _level(b: list[float], lb: list[float]) -> bool:
    """Whether box `b` stands on the row of label box `lb` (overlapping half its height)."""
    return min(b[3], lb[3]) - max(b[1], lb[1]) >= 0.5 * max(1.0, min(lb[3] - lb[1], b[3] - b[1]))


def _stacked(lines: list[OcrLine], prev: Span, sp: Span) -> bool:
    """Whether `sp` is printed like `prev` and under it: the lines of one value are printed
    alike, one under the other; a line of another size, or one overlapping the line above it
    (an arc of a seal's text, a signature), is something else (heights and overlap along the
    lines' slant, at the line's left)."""
    b = sp.bbox
    ct, cb = _edges_at(lines[sp.line], b[0])
    pt, pb = _edges_at(lines[prev.line], b[0])
    h, ph = cb - ct, pb - pt
    if min(cb, pb) - max(ct, pt) > 0.3 * min(h, ph):
        return False
    if 1 / CONTINUATION_HEIGHT <= h / max(1.0, ph) <= CONTINUATION_HEIGHT:
        return True
    # the detector's boxes of one size of print vary (a line holding 、 and ： boxed tighter):
    # two lines each of about the page's usual height are printed alike all the same
    t = typical_height(lines)
    return bool(t) and all(1 / CONTINUATION_HEIGHT <= x / t <= CONTINUATION_HEIGHT for x in (h, ph))


# a ruled line between two rows of a form: a thin band of pixel rows darker than the paper
# around them (the lightest pixels of their column nearby, under uneven light) by RULE_CONTRAST
# grey levels along RULE_COVER of a range of columns (a dashed or broken line counts), with
# rows RULE_THIN pixels above and below it at most half as covered (not a character's stroke)
RULE_CONTRAST = 10.0
RULE_COVER = 0.6
RULE_THIN = 4


def _rule_rows(gray: np.ndarray, x0: float, x1: float, y0: int, y1: int) -> np.ndarray:
    """For each pixel row y0..y1, whether a ruled line runs along it within [x0, x1]."""
    H, W = gray.shape
    a, e = max(0, int(x0)), min(W, int(np.ceil(x1)))
    out = np.zeros(max(0, y1 - y0), bool)
    if e - a < 4 or y1 - y0 < 1:
        return out
    t, b = max(0, y0 - RULE_THIN - 2), min(H, y1 + RULE_THIN + 2)
    crop = gray[t:b, a:e]
    bg = np.percentile(crop, 90, axis=0)
    cover = ((bg[None, :] - crop) > RULE_CONTRAST).mean(axis=1)
    for y in range(y0, y1):
        r = y - t
        if r < 0 or r >= len(cover) or cover[r] < RULE_COVER:
            continue
        above = cover[r - RULE_THIN] if r - RULE_THIN >= 0 else 0.0
        below = cover[r + RULE_THIN] if r + RULE_THIN < len(cover) else 0.0
        out[y - y0] = above < 0.5 * cover[r] and below < 0.5 * cover[r]
    return out


def _ruled_between(gray: np.ndarray | None, prev: Span, sp: Span, lab: Label | None) -> bool:
    """Whether a ruled row line of a form runs between two lines of a value: a line between
    their middles, along most of the label's column and of the lower line (a fill-in
    underline under a value starts after its label; the line between two rows of a grid runs
    under the label too). The lower line is then the next row's value, whatever its label
    reads as (宗教信仰 read as 宗教位师 is no label, but its row is ruled off)."""
    if gray is None or lab is None:
        return False
    pb, b, lb = prev.bbox, sp.bbox, lab.bbox
    ph, h = max(1.0, pb[3] - pb[1]), max(1.0, b[3] - b[1])
    top, bottom = int((pb[1] + pb[3]) / 2 + 0.3 * ph), int((b[1] + b[3]) / 2 - 0.3 * h)
    top, bottom = max(0, top), min(gray.shape[0], bottom)
    if bottom - top < 3:
        return False
    at_label = _rule_rows(gray, lb[0], lb[2], top, bottom)
    at_line = _rule_rows(gray, b[0], b[2], top, bottom)
    if not at_label.any() or not at_line.any():
        return False
    near = np.convolve(at_label.astype(int), np.ones(5, int), mode="same") > 0  # a slant of two rows
    if not (near & at_line).any():
        return False
    return not _crosses_the_sheet(gray, top, bottom, h)


def _crosses_the_sheet(gray: np.ndarray, top: int, bottom: int, h: float) -> bool:
    """Does a line between rows `top` and `bottom` run on through both margins of the sheet
    (a streak the copier drew across it, a fold)? A form's rules stop at its table."""
    H, W = gray.shape
    m = max(8, int(SHEET_MARGIN * W))
    pad = int(2 * h)  # a streak slants a little over the sheet's width
    t, b = max(0, top - pad), min(H, bottom + pad)
    return bool(_rule_rows(gray, 0, m, t, b).any() and _rule_rows(gray, W - m, W, t, b).any())


SHEET_MARGIN = 0.04  # share of the view's width, each side, where a form prints no rule


# a line that opens a section of a record (三、入院情况, （二）治疗经过): whatever its label reads as
# (人规情况 for 入院情况), no value runs on into it
SECTION_HEAD = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、,，.．]|[（(][一二三四五六七八九十]{1,3}[）)])")


def _next_section(label_line: str) -> re.Pattern[str] | None:
    """Where the label's line opens a numbered section (2.最后诊断：), the heading of the next one:
    its number, a few characters and a colon (3.人院情况：, its heading misread); items of a list
    in the value have no colon after their first words."""
    m = re.match(r"^\s*(\d{1,2})[.、．]", label_line)
    if not m:
        return None
    return re.compile(rf"^{int(m.group(1)) + 1}[.、．]\s*[^\s:：\d]{{2,8}}[:：]")


def _own_rows(lines: list[OcrLine], v: Value, lab: Label | None, image: np.ndarray | None,
                          paper: float | None, gray: np.ndarray | None = None) -> Value:
    """A multi-line value without its continuation lines that stand beside ink in the label
    column: a continuation line has blank paper left of it, under the field's label; ink there
    is another row's label the OCR did not read (a signature scrawled over it, a stamp, a
    fold), and the line beside it is that row's value, not more of this one. A first line
    above the label's row (a value centred on its label) is kept only when it is printed like
    the line under it; the value's line level with its label is never dropped for it."""
    if len(v.spans) < 2:
        return v
    if lab is not None and v.spans[0].line != v.spans[1].line and _level(v.spans[1].bbox, lab.bbox) \
            and not _level(v.spans[0].bbox, lab.bbox):
        rest = _own_rows(lines, Value(v.spans[1:], source=v.source), lab, image, paper, gray)
        if _stacked(lines, v.spans[0], v.spans[1]) and not _ruled_between(gray, v.spans[0], v.spans[1], lab):
            return Value([v.spans[0]] + rest.spans, source=v.source)
        return rest
    nxt = _next_section(lines[lab.line].text) if lab is not None else None
    for k in range(1, len(v.spans)):
        sp, prev = v.spans[k], v.spans[k - 1]
        if sp.line == prev.line:
            continue
        if not _stacked(lines, prev, sp) or _ruled_between(gray, prev, sp, lab) or SECTION_HEAD.match(sp.text.strip()) \
                or (nxt is not None and nxt.match(sp.text.strip())):
            return Value(v.spans[:k], source=v.source)
    if image is None or lab is None or paper is None:
        return v
    lb = lab.bbox
    lh = max(1.0, lb[3] - lb[1])
    for k in range(1, len(v.spans)):
        sp = v.spans[k]
        b = sp.bbox
        if sp.line == v.spans[k - 1].line:
            continue
        if _level(b, lb):
            continue  # level with its own label (the value's first line stands above it)
        right = min(lb[2], b[0] - 0.5 * lh)
        if right - lb[0] < 1.5 * lh:  # the line wraps under the label: no column to look at
            continue
        col = [lb[0], b[1] + 0.15 * (b[3] - b[1]), right, b[3] - 0.15 * (b[3] - b[1])]
        if _dark_ink(image, col, paper) > LABEL_COLUMN_INK and _character_ink(image, col, paper, lh) > LABEL_COLUMN_INK:
            return Value(v.spans[:k], source=v.source)
    return v


# a value followed on its row by ink that no line of the text's size read: characters the
# detector lost under a watermark or a stamp crossing the row (休息|一周。): the share of the
# columns just right of the value, within the row's middle, that hold dark ink
UNREAD_AFTER = 0.3


def _unread_before_rows(image: np.ndarray, lines: list[OcrLine], v: Value, paper: float) -> bool:
    """Whether a value continued on further lines has dark ink that no line covers right
    before one of its continuation lines (a comma the line break put first, "，定期复查", that
    the detector left out: the joined value lost it)."""
    seen: set[int] = set()
    for sp in v.spans:
        if sp.line in seen or sp.start != 0:
            seen.add(sp.line)
            continue
        first = not seen
        seen.add(sp.line)
        if first:
            continue
        l0 = lines[sp.line]
        b = l0.bbox
        lh = b[3] - b[1]
        if lh <= 4:
            continue
        H, W = image.shape[:2]
        pos = l0.char_positions
        if pos and len(pos) >= 3 and len(pos) == len(l0.text):
            # inside the line's box: the first character read stands a character's width or
            # more after the box's start (the detector took the comma in, the recogniser not)
            w = b[2] - b[0]
            step = (pos[-1] - pos[0]) * w / (len(pos) - 1)
            lead = pos[0] * w - 0.5 * step
            if step > 0 and lead > LEADING_GAP * step:
                a, e = int(b[0]), int(b[0] + lead)
                c, d = int(max(0, b[1])), int(min(H, b[3]))
                crop = image[c:d, a:e]
                if crop.size:
                    gray = crop.astype(np.float32).mean(axis=2) if crop.ndim == 3 else crop.astype(np.float32)
                    if (gray < 0.6 * paper).sum() >= LEADING_INK * lh * lh:  # a comma is small
                        return True
        a, e = int(max(0, b[0] - 1.0 * lh)), int(b[0] - 0.05 * lh)
        c, d = int(max(0, b[1] + 0.1 * lh)), int(min(H, b[3] - 0.05 * lh))
        if e - a < 0.5 * lh or d - c < 3:
            continue
        m = _unread_ink(image, lines, (a, c, e, d), lh, paper)
        # a mark of a punctuation's size at least (a speck is not), in the row's band
        if m.sum() >= UNREAD_BEFORE * lh * lh:
            return True
    return False


def _unread_ink(image: np.ndarray, lines: list[OcrLine], box: tuple[int, int, int, int], lh: float,
                paper: float) -> np.ndarray:
    """The dark grey ink (print, not a coloured mark) in `box` (a, c, e, d: x0, y0, x1, y1) that
    no line of about the text's height `lh` covers, as a mask of the box (a watermark read as
    one big line across the page does not cover it: its ink over lost characters is what the
    detector saw)."""
    a, c, e, d = box
    crop = image[c:d, a:e]
    gray = crop.astype(np.float32).mean(axis=2) if crop.ndim == 3 else crop.astype(np.float32)
    grey = (crop.max(axis=2).astype(np.int16) - crop.min(axis=2).astype(np.int16)) < 50 if crop.ndim == 3 else True
    m = (gray < 0.6 * paper) & grey
    for l in lines:
        lb = l.bbox
        if lb[3] - lb[1] > 2.0 * lh:
            continue
        x0, y0, x1, y1 = int(lb[0]) - a, int(lb[1]) - c, int(np.ceil(lb[2])) - a, int(np.ceil(lb[3])) - c
        if x1 <= 0 or y1 <= 0 or x0 >= m.shape[1] or y0 >= m.shape[0]:
            continue
        m[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = False
    return m


UNREAD_BEFORE = 0.03  # dark pixels, as a share of a square of the line's height
LEADING_GAP = 0.7  # of the line's character step: room for a character before the first one read
LEADING_INK = 0.01  # dark pixels there, as a share of a square of the line's height


def char_pitch(lines: list[OcrLine]) -> float | None:
    """The page's step from one Han character to the next, in pixels: the median over its
    lines of each line's median step between neighbouring Han characters (as the recogniser
    placed their centres), None when fewer than two lines say. A line's box is padded; the
    characters' own step is what tells room for one."""
    steps = []
    for l in lines:
        if l.char_positions and len(l.char_positions) == len(l.text):
            st = _han_steps(l)
            if len(st) >= 2:
                steps.append(st[len(st) // 2])
    if len(steps) < 2:
        return None
    steps.sort()
    return steps[len(steps) // 2]


def _han_steps(line: OcrLine) -> list[float]:
    pos, t = line.char_positions, line.text
    w = line.bbox[2] - line.bbox[0]
    return sorted((pos[i + 1] - pos[i]) * w for i in range(len(t) - 1)
                  if "\u4e00" <= t[i] <= "\u9fff" and "\u4e00" <= t[i + 1] <= "\u9fff" and pos[i + 1] > pos[i])


def _line_pitch(line: OcrLine, pitch: float) -> float:
    """The character step of this line: its own (the median step between its neighbouring Han
    characters, a title printed larger steps wider) where it says, never under the page's."""
    steps = _han_steps(line)
    if len(steps) >= 2:
        return max(pitch, steps[len(steps) // 2])
    return pitch


LOST_END_GAP = 0.8  # of the page's character step: room for a character between a box's end and its text
LOST_END_INK = 0.04  # dark pixels there, as a share of a square of the line's height: a character's strokes


def _lost_at_ends(image: np.ndarray, lines: list[OcrLine], v: Value, paper: float, pitch: float | None) -> bool:
    """Whether a value that begins (or ends) its line has, inside the line's box, room for a
    character before its first (after its last) character read, and print there: the detector
    took the character in and the recogniser dropped it (孙女 read 女). Rules crossing the row
    and coloured ink are not print."""
    if not pitch or not v.spans:
        return False
    ends = []
    sp = v.spans[0]
    if sp.start == 0:
        ends.append((sp.line, True))
    sp = v.spans[-1]
    if sp.end >= len(lines[sp.line].text.rstrip()):
        ends.append((sp.line, False))
    for li, first in ends:
        l = lines[li]
        pos = l.char_positions
        if not pos or len(pos) != len(l.text) or not l.text.strip():
            continue
        b = l.bbox
        w, lh = b[2] - b[0], b[3] - b[1]
        if w <= 0 or lh <= 4:
            continue
        p = _line_pitch(l, pitch)
        if first:
            gap = pos[0] * w - 0.5 * p
            a, e = int(b[0]), int(b[0] + gap)
        else:
            gap = (1.0 - pos[-1]) * w - 0.5 * p
            a, e = int(b[2] - gap), int(np.ceil(b[2]))
        if gap <= LOST_END_GAP * p:
            continue
        m = _print_in(image, b, a, e, paper)
        if m is None:
            continue
        n, _, st, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
        ink = sum(
            int(st[i, 4]) for i in range(1, n)
            # a rule crosses the band top to bottom, thin; a character's strokes do not
            if not (st[i, 1] == 0 and st[i, 1] + st[i, 3] >= m.shape[0] and st[i, 2] <= 0.15 * lh)
        )
        if ink >= LOST_END_INK * lh * lh:
            return True
    return _lost_inside(image, lines, v, paper, pitch)


def _print_in(image: np.ndarray, b: list[float], a: int, e: int, paper: float) -> np.ndarray | None:
    """Dark grey print (not a coloured mark) in columns a..e of the line box b, within its
    middle band, as a mask (None when the piece is too small to look at)."""
    H, W = image.shape[:2]
    lh = b[3] - b[1]
    c, d = int(max(0, b[1] + 0.1 * lh)), int(min(H, b[3] - 0.1 * lh))
    a, e = max(0, a), min(W, e)
    if e - a < 3 or d - c < 3:
        return None
    crop = image[c:d, a:e]
    gray = crop.astype(np.float32).mean(axis=2) if crop.ndim == 3 else crop.astype(np.float32)
    grey = (crop.max(axis=2).astype(np.int16) - crop.min(axis=2).astype(np.int16)) < 50 if crop.ndim == 3 else True
    return (gray < 0.6 * paper) & grey


LOST_INSIDE_GAP = 1.75  # of the page's Han character step, between two characters' centres read next


def _lost_inside(image: np.ndarray, lines: list[OcrLine], v: Value, paper: float, pitch: float) -> bool:
    """Whether two characters read next to each other in the value, or the value's first or
    last and its neighbour on the line, stand a character's room apart (no two characters of
    print are further apart than two Han characters' centres) with print between them
    (慢性阻塞性肺疾病急性加重 read …疾病性加重; 患者林怡蓓， read 林怡，: the recogniser
    dropped a character)."""
    for sp in v.spans:
        l = lines[sp.line]
        pos, t = l.char_positions, l.text
        if not pos or len(pos) != len(t):
            continue
        b = l.bbox
        w, lh = b[2] - b[0], b[3] - b[1]
        if w <= 0 or lh <= 4:
            continue
        p = _line_pitch(l, pitch)
        for i in range(max(sp.start - 1, 0), min(sp.end, len(t) - 1)):
            if t[i].isspace() or t[i + 1].isspace():
                continue
            gap = (pos[i + 1] - pos[i]) * w
            if gap <= LOST_INSIDE_GAP * p:
                continue
            m = _print_in(image, b, int(b[0] + pos[i] * w + 0.5 * p), int(b[0] + pos[i + 1] * w - 0.5 * p), paper)
            if m is not None and int(m.sum()) >= LOST_END_INK * lh * lh:
                return True
    return False


def _unread_after(image: np.ndarray, lines: list[OcrLine], v: Value, paper: float) -> bool:
    """Whether dark ink that no line of about the text's height covers (:func:`_unread_ink`)
    stands right after the value's last character, in the middle of its row."""
    sp = v.spans[-1]
    b = sp.bbox
    lh = b[3] - b[1]
    if lh <= 4:
        return False
    H, W = image.shape[:2]
    a, e = int(b[2] + 0.15 * lh), int(min(W, b[2] + 2.2 * lh))
    c, d = int(max(0, b[1] + 0.2 * lh)), int(min(H, b[3] - 0.2 * lh))
    if e - a < 0.6 * lh or d - c < 3:
        return False
    cols = _unread_ink(image, lines, (a, c, e, d), lh, paper).any(axis=0)
    # the first character's width right after the value must hold ink (not a speck further on)
    first = cols[: max(1, int(0.9 * lh))]
    return bool(first.mean() > UNREAD_AFTER and cols.mean() > UNREAD_AFTER)


_ITEM_NUMBER = re.compile(r"(?:^|[；;。，,\s])[（(]?(\d{1,2})\s*[、.．)）]")
_ITEM_START = re.compile(r"^\s*[（(]?(\d{1,2})\s*[、.．)）]")


def _list_goes_on(lines: list[OcrLine], v: Value) -> bool:
    """Does a list value stop before its end: its text ends with a separator (感染性休克；), or
    its last item is numbered N and a line just under it, not part of the value, begins with
    N+1 (1、慢性乙型病毒性肝炎 with 2、癫痫 under it, left out)?"""
    text = v.text.rstrip()
    if text and text[-1] in "；;，,、":
        return True
    nums = [int(m.group(1)) for m in _ITEM_NUMBER.finditer(text)]
    if not nums or not v.spans:
        return False
    want = nums[-1] + 1
    last = v.spans[-1].bbox
    h = max(1.0, last[3] - last[1])
    taken = {sp.line for sp in v.spans}
    for li, l in enumerate(lines):
        if li in taken:
            continue
        b = l.bbox
        if not (last[1] + 0.5 * h < b[1] <= last[3] + 2.0 * h) or abs(b[0] - last[0]) > 3.0 * h:
            continue
        m = _ITEM_START.match(l.text)
        if m and int(m.group(1)) == want:
            return True
    return False


# the row under a numbered list's last item: the share of its first characters' columns that
# unread ink must fill for a next item to stand there (print, not a seal's ring across)
UNREAD_ITEM = 0.5


def _unread_item_below(image: np.ndarray, lines: list[OcrLine], v: Value, paper: float) -> bool:
    """Does a numbered list (1、…  2、…) have unread print in the row right under its last item,
    where the next item would begin (3、老年性黄斑变性 under a seal in grey: the detector found
    no line there)? The list may go on."""
    if not v.spans or not _ITEM_NUMBER.search(v.text):
        return False
    last = max((lines[sp.line].bbox for sp in v.spans), key=lambda b: b[3])
    lh = last[3] - last[1]
    if lh <= 4:
        return False
    H, W = image.shape[:2]
    a, e = int(max(0, last[0])), int(min(W, last[0] + 4.0 * lh))
    c, d = int(min(H, last[3] + 0.15 * lh)), int(min(H, last[3] + 0.85 * lh))
    if e - a < 2 * lh or d - c < 3:
        return False
    cols = _unread_ink(image, lines, (a, c, e, d), lh, paper).any(axis=0)
    return bool(cols.mean() > UNREAD_ITEM)


def _too_wide_for_its_text(lines: list[OcrLine], v: Value) -> bool:
    """Is a value read from a whole line of Han characters far shorter than the line's box (出 in
    a box three characters wide, a handwritten stroke across 脑出血)? Han characters are about as
    wide as the page's text is tall: characters the box took in were not read."""
    if len(v.spans) != 1:
        return False
    sp = v.spans[0]
    line = lines[sp.line]
    text = line.text.strip()
    if not text or sp.end - sp.start < len(text) or sum("\u4e00" <= c <= "\u9fff" for c in text) < 0.5 * len(text):
        return False
    h = typical_height(lines)
    if not h:
        return False
    b = line.bbox
    est = sum(1.0 if "\u4e00" <= c <= "\u9fff" else 0.55 for c in text)
    return b[2] - b[0] > (est + 1.5) * h


def _template_shift(doctype: DocType, values: dict, t: list[float], H: float) -> float:
    """How far down (pixels) the card's print lies from where its template boxes put it, judged
    by the value found by its label whose template row is nearest to `t`'s: a card cut with a
    margin, or its outline found a little off, moves every row alike near there (0 when no
    single-line value was found by a label)."""
    best: tuple[float, float] | None = None
    centre = (t[1] + t[3]) / 2
    for fname, v in values.items():
        spec = doctype.fields.get(fname)
        if spec is None or not spec.template or spec.multiline > 1 or v.source not in ("label", "right") or not v.spans:
            continue
        u = spec.template
        b = v.spans[0].bbox
        off = (b[1] + b[3]) / 2 - (u[1] + u[3]) / 2 * H
        if abs(off) > 0.5 * (u[3] - u[1]) * H + 0.1 * H:
            continue  # not near its own box: a value paired from elsewhere says nothing
        dist = abs((u[1] + u[3]) / 2 - centre)
        if best is None or dist < best[0]:
            best = (dist, off)
    return best[1] if best is not None else 0.0


# values overprinted on a ruled form off its grid (a register page fed askew through the
# printer) lie one offset away from their labels' rows: found when at least DRIFT_MIN labels
# standing alone on their lines have a value line right of them at one vertical offset (within
# DRIFT_TOL of a line's height) of DRIFT_AT_LEAST a line's height or more, and more labels
# agree on that offset than on none
DRIFT_MIN = 4
DRIFT_TOL = 0.25
DRIFT_AT_LEAST = 0.45


def _undrift(lines: list[OcrLine], labels: list[Label]) -> list[OcrLine] | None:
    """The page's lines with the value lines moved back by the offset all values were printed
    off their labels' rows (None when they were not): a value printed a row's height above
    its cell is paired with its own label, not taken for the value under the label above."""
    h = typical_height(lines)
    if not h or len(labels) < DRIFT_MIN:
        return None
    label_lines = {lab.line for lab in labels}
    alone = [lab for lab in labels if lab.start <= 1 and len(lines[lab.line].text.strip()) - lab.end <= 1]
    values = [li for li in range(len(lines)) if li not in label_lines]
    if len(alone) < DRIFT_MIN or not values:
        return None
    per_label: list[list[float]] = []
    for lab in alone:
        b = lab.bbox
        cy = (b[1] + b[3]) / 2
        ds = []
        for li in values:
            vb = lines[li].bbox
            if vb[3] - vb[1] > 2.0 * h or not (b[2] - 0.5 * h <= vb[0] <= b[2] + 6.0 * h):
                continue
            d = (vb[1] + vb[3]) / 2 - cy
            if abs(d) <= 1.5 * h:
                ds.append(d)
        per_label.append(ds)

    def support(dy: float) -> int:
        return sum(any(abs(d - dy) <= DRIFT_TOL * h for d in ds) for ds in per_label)

    cands = sorted({d for ds in per_label for d in ds if abs(d) >= DRIFT_AT_LEAST * h})
    if not cands:
        return None
    best = max(cands, key=lambda dy: (support(dy), -abs(dy)))
    n = support(best)
    # values a little off their labels' rows (printed a few pixels higher: 杜雪静 12 px above
    # 姓名 with rows 70 px apart) are on those rows: the next row's values, as far off the
    # other way, are no drift however many labels they agree for
    near = max([support(0.0)] + [support(d) for ds in per_label for d in ds if abs(d) < DRIFT_AT_LEAST * h])
    if n < DRIFT_MIN or n <= near:
        return None
    # the offset as the mean of the offsets that agree with it
    agree = [d for ds in per_label for d in ds if abs(d - best) <= DRIFT_TOL * h]
    dy = sum(agree) / len(agree)
    return [l if i in label_lines else l.shifted(0.0, -dy) for i, l in enumerate(lines)]


@register_extractor("rules")
class RuleExtractor:
    name = "rules"

    def extract(
        self,
        doctype: DocType,
        lines: list[OcrLine],
        view_size: tuple[int, int],
        image: np.ndarray | None = None,
    ) -> dict[str, ExtractedField]:
        W, H = view_size
        lines = split_stacked(seals.without_seals(lines, image))
        label_map = {f: s.labels for f, s in doctype.fields.items() if s.labels}
        if doctype.other_labels:
            label_map[OTHER] = doctype.other_labels
        lines = join_split_labels(lines, [w for ws in label_map.values() for w in ws])
        labels = find_labels(lines, label_map, ignore=doctype.ignore,
                             each={f for f, spec in doctype.fields.items() if spec.collect})
        # fields that collect every occurrence: one pseudo-field per occurrence
        counts: dict[str, int] = {}
        collected: dict[str, list[str]] = {}
        renamed: list[Label] = []
        for lab in labels:
            spec = doctype.fields.get(lab.field)
            if spec is not None and spec.collect:
                k = counts.get(lab.field, 0)
                counts[lab.field] = k + 1
                name = f"{lab.field}#{k}"
                collected.setdefault(lab.field, []).append(name)
                lab = Label(name, lab.label, lab.line, lab.start, lab.end, lab.bbox, lab.strength, lab.fuzzy)
            renamed.append(lab)

        def per_field(attr: str) -> dict:
            d = {f: getattr(s, attr) for f, s in doctype.fields.items()}
            for f, names in collected.items():
                for n in names:
                    d[n] = d[f]
            return d

        drifted = _undrift(lines, renamed) if doctype.layout == "page" else None
        values = pair_values(
            drifted or lines, renamed, multiline=per_field("multiline"), below=per_field("below"), line_gap=per_field("line_gap"),
            label_words=[w for ws in label_map.values() for w in ws],
        )
        if drifted is not None:
            # paired where the values were meant to be printed; reported where they are
            values = {k: Value([span_of(lines, sp.line, sp.start, sp.end) for sp in v.spans], source=v.source)
                      for k, v in values.items()}
        paper = _paper(image) if image is not None else None
        pitch = char_pitch(lines)
        gray: np.ndarray | None = None  # the page in grey, when a ruled line is looked for
        clean = seals.remove_seals(image) if image is not None and image.ndim == 3 else None
        for fname, v in list(values.items()):
            spec = doctype.fields.get(fname.split("#")[0])
            if spec is not None and spec.multiline > 1 and v.spans:
                lab = _own_label(v, renamed, fname)
                if v.source in ("label", "right") and len(v.spans) < spec.multiline:
                    busy = {sp.line for f2, v2 in values.items() if f2 != fname for sp in v2.spans}
                    v = _continued_rows(lines, v, spec.multiline, spec.line_gap or 0.9, busy, renamed, lab)
                if gray is None and image is not None and doctype.layout == "page" and len({sp.line for sp in v.spans}) > 1:
                    gray = (image.astype(np.float32).mean(axis=2) if image.ndim == 3 else image.astype(np.float32))
                # a seal's dark strokes in the label column are no row's label: looked at without it
                values[fname] = _own_rows(lines, v, lab, clean if clean is not None else image, paper, gray)
        values.update(sentence_values(lines, doctype))
        out: dict[str, ExtractedField] = {}
        for fname, spec in doctype.fields.items():
            if spec.type == "table":
                f = table_field(lines, spec, image)
                if f is not None:
                    out[fname] = f
                continue
            if spec.collect:
                got = [to_field(spec.type, values[n]) if n in values else None for n in collected.get(fname, [])]
                # a row whose only reading is one the declaration rules out (the interval
                # column's 10年 beside a disease not read) had a part printed
                ruled_out = any(p is not None and p.value is not None and _rejected(spec, p.value) for p in got)
                got = [p if p is not None and p.value is not None and not _rejected(spec, p.value) else None for p in got]
                parts = [p for p in got if p is not None]
                if parts:
                    out[fname] = _merge_parts(parts)
                    if ruled_out or any(p is None and any(q is not None for q in got[i + 1:]) for i, p in enumerate(got)) or (
                            clean is not None and _unread_rows(clean, lines, renamed, collected.get(fname, []), got)):
                        # a row of the chain read empty with a later one filled, or with print
                        # right of its label that no line read, or with its interval alone: a
                        # part was lost
                        out[fname].checks.append("value_may_be_incomplete")
                continue
            v = values.get(fname)
            inferred = False
            if spec.pattern and (v is None or v.source != "sentence"):
                pat = re.compile(spec.pattern)
                found = None
                if v is not None and v.spans:
                    found = _pattern_in_value(lines, v, pat)
                    if found is None:
                        found = _pattern_in(lines, sorted({s.line for s in v.spans}), pat)
                    if found is None:  # printed in separate boxes along the row (one per digit)
                        row = _row_before_label(lines, v.spans[0].line, labels, fname)
                        found = _pattern_in(lines, row, pat)
                        gap = box_gap_digit(lines, row) if found is None and spec.type == "id_number" else None
                        if gap is not None:  # and one box of them lost
                            lines = lines + [gap]
                            found = _pattern_in(lines, row + [len(lines) - 1], pat)
                            inferred = found is not None
                if found is None and spec.search == "page":
                    found = _pattern_in(lines, _within(lines, spec.within, (W, H)), pat)
                if found is None and v is None and spec.type == "id_number":
                    found = _checked_id_on_page(lines, pat)
                # a value that must match a pattern and matches nowhere is not there
                v = found
            if (v is None or not v.spans) and spec.template and doctype.layout == "card" and not spec.pattern:
                t = spec.template
                dy = _template_shift(doctype, values, t, H)
                v = spans_in_box(lines, [t[0] * W, t[1] * H + dy, t[2] * W, t[3] * H + dy], exclude=labels)
                # a line another field's value was read from is not this one's
                taken = {(sp.line, i) for f2, v2 in values.items() if f2 != fname for sp in v2.spans
                         for i in range(sp.start, sp.end)}
                v = Value([sp for sp in v.spans if not any((sp.line, i) in taken for i in range(sp.start, sp.end))],
                          source=v.source)
                v, template_cut = _uncut(lines, v, labels, taken)
            else:
                template_cut = False
            if v is None or not v.spans:
                continue
            unsure_choice = False
            if choices.is_option_list(v.text) or (
                    # the marked option cut off as a line of its own (□1医疗卫生机构, drawn round),
                    # the rest of the list on its row
                    _OPTION_HEAD.match(v.text) and choices.is_option_list(_whole_option_row(lines, v).text)):
                # □1… □2… with one marked: that option
                _, v, unsure_choice = choices.choose(lines, _whole_option_row(lines, v), image)
                if v is None:
                    continue
            if spec.split:
                if spec.type == "validity":
                    out.update(split_validity(v))
                continue
            v, opened = _opened_by_label(lines, v, renamed, fname, spec)
            f = to_field(spec.type, v)
            if opened:
                f.checks.append("label_word_in_value")
            if inferred:
                f.checks.append("digit_from_check_digit")  # a digit not read: look at it
            if template_cut:
                f.checks.append("value_may_be_incomplete")
            if unsure_choice:
                f.checks.append("option_list_incomplete")  # the marked option may be one not read
            if spec.type in ("diagnosis", "text") and isinstance(f.value, str) and f.value \
                    and (_list_goes_on(lines, v) or (clean is not None and doctype.layout == "page"
                                                     and _unread_item_below(clean, lines, v, paper))) \
                    and "value_may_be_incomplete" not in f.checks:
                f.checks.append("value_may_be_incomplete")
            if spec.type == "date" and f.value is not None and "time_invalid" not in f.checks:
                # the time printed right after the date (a pattern's match stops at the date)
                sp = v.spans[-1]
                if time_impossible(lines[sp.line].text[sp.start:sp.end + 8]):
                    f.checks.append("time_invalid")
            if f.value is None and v.source in ("right", "below") and len(v.spans) == 1:
                # the place read twice (a second reading of a poorly read line overlaps the
                # first): the reading that holds a value of the field's kind
                f2 = _read_again(lines, v, spec)
                if f2 is not None:
                    f = f2
            if f.value is not None and not _rejected(spec, f.value):
                if (clean is not None and doctype.layout == "page" and v.source in ("label", "right", "below")
                        and isinstance(f.value, str) and _unread_after(clean, lines, v, paper)):
                    f.checks.append("value_may_be_incomplete")
                elif (doctype.layout == "page" and v.source in ("label", "right", "below") and isinstance(f.value, str)
                        and _too_wide_for_its_text(lines, v)):
                    f.checks.append("value_may_be_incomplete")
                elif clean is not None and doctype.layout == "page" and isinstance(f.value, str) \
                        and _unread_before_rows(clean, lines, v, paper):
                    f.checks.append("value_may_be_incomplete")
                elif clean is not None and doctype.layout == "page" and isinstance(f.value, str) \
                        and _lost_at_ends(clean, lines, v, paper, pitch):
                    f.checks.append("value_may_be_incomplete")
                out[fname] = f
        _unlabelled_alone(doctype, lines, values, labels, out)
        if doctype.layout == "page":
            _unlabelled_groups(doctype, lines, values, labels, out)
            _unlabelled_date(doctype, lines, values, labels, out)
            _unlabelled_place(doctype, lines, values, labels, out)
        return out


def _lone_lines(lines: list[OcrLine], values: dict, labels: list[Label], out: dict) -> list[int]:
    """The lines that are neither a label's nor a value's (paired, or found where an extracted
    field's box is)."""
    taken = {sp.line for v in values.values() for sp in v.spans} | {lab.line for lab in labels}
    boxes = [f.bbox for f in out.values() if isinstance(f.bbox, (list, tuple)) and len(f.bbox) == 4]
    return [li for li, l in enumerate(lines) if li not in taken and not any(_box_overlap(l.bbox, b) > 0.3 for b in boxes)]


def _unlabelled_alone(doctype: DocType, lines: list[OcrLine], values: dict, labels: list[Label], out: dict) -> None:
    """A field declared with `alone` (a card's number H84897425: a letter and eight digits) that
    no label gave: the page's one lone line that is such a value and nothing else, flagged
    `found_without_label` (a seal over 社会保障卡号 on a copied card)."""
    free = None
    for fname, spec in doctype.fields.items():
        if not spec.alone or fname in out:
            continue
        free = _lone_lines(lines, values, labels, out) if free is None else free
        found = [li for li in free if re.fullmatch(spec.alone, re.sub(r"\s", "", lines[li].text))]
        if len(found) != 1:
            continue
        li = found[0]
        f = to_field(spec.type, Value([span_of(lines, li, 0, len(lines[li].text))], source="pattern"))
        if f.value is not None:
            f.checks.append("found_without_label")
            out[fname] = f


# a line that is a date and nothing else (2025年10月31日, 2025-10-31), maybe after a colon
_DATE_LINE = re.compile(r"[\s\u3000:：]*(?P<v>\d{4}\s*[年\-./]\s*\d{1,2}\s*[月\-./]\s*\d{1,2}\s*[日号]?)[\s\u3000]*")


def _unlabelled_date(doctype: DocType, lines: list[OcrLine], values: dict, labels: list[Label], out: dict) -> None:
    """A date whose label was lost (a seal over 日期 by the signature) with the date read: where
    exactly one of the document's date fields was not found and the page has exactly one line
    that is a date alone, neither a label's line nor another value's, that date is the field's,
    `found_without_label` (a reviewer confirms it)."""
    missing = [n for n, spec in doctype.fields.items() if spec.type == "date" and spec.labels and n not in out]
    if len(missing) != 1:
        return
    found = [(li, m) for li in _lone_lines(lines, values, labels, out) if (m := _DATE_LINE.fullmatch(lines[li].text))]
    if len(found) != 1:
        return
    li, m = found[0]
    f = to_field("date", Value([span_of(lines, li, m.start("v"), m.end("v"))], source="pattern"))
    if f.value is not None:
        f.checks.append("found_without_label")
        out[missing[0]] = f


# how an address ends: a house or room number, a group, a village
_ADDRESS_END = re.compile(r"(?:[0-9]+[号室户]|[组村屯队庄])$")
# how a birthplace ends: the name of a division
_PLACE_END = re.compile(r"[省市县区旗州盟]$")


def _unlabelled_place(doctype: DocType, lines: list[OcrLine], values: dict, labels: list[Label], out: dict) -> None:
    """A place whose label was lost (a 与原件相符 stamp over 住址 on a copied card) with the place
    read: where exactly one of the document's place fields (type `address`) was not found and
    the page has exactly one line, neither a label's nor another value's, that begins with the
    names of a province or city and ends as such a value does (an address in a house number, a
    group or a village; a birthplace in a division's name), with the lines that continue it
    below, that is the field's value, `found_without_label` (a reviewer confirms it)."""
    from extract.checks.divisions import parse_region

    missing = [n for n, spec in doctype.fields.items() if spec.type == "address" and spec.labels and n not in out]
    if len(missing) != 1:
        return
    name = missing[0]
    spec = doctype.fields[name]
    free = _lone_lines(lines, values, labels, out)
    taken = set(range(len(lines))) - set(free)
    found = []
    for li in free:
        l = lines[li]
        text = l.text.strip()
        if len(text) < 6:
            continue
        rp = parse_region(text)
        if not rp.candidates or rp.end < 3 or rp.text[:2] != text[:2]:
            continue  # no place named at its start
        v = Value([span_of(lines, li, 0, len(l.text))], source="pattern")
        if spec.multiline > 1:
            v = _continued_rows(lines, v, spec.multiline, spec.line_gap or 0.9, taken, labels, None)
        joined = re.sub(r"\s", "", v.text)
        if (_ADDRESS_END if name == "address" else _PLACE_END).search(joined):
            found.append(v)
    if len(found) != 1:
        return
    f = to_field(spec.type, found[0])
    if f.value is not None:
        f.checks.append("found_without_label")
        out[name] = f


def _box_overlap(a, b) -> float:
    """The share of box a's area that box b covers."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = max(1e-6, (a[2] - a[0]) * (a[3] - a[1]))
    return max(0.0, w) * max(0.0, h) / area


_GROUP_LINE = re.compile(r"[\s\u3000:：]*(?P<v>[\u4e00-\u9fff]{1,4}族)[\s\u3000]*")


def _unlabelled_groups(doctype: DocType, lines: list[OcrLine], values: dict, labels: list[Label], out: dict) -> None:
    """An ethnicity whose label was lost (a grey seal's ring across 民族 on a copied booklet)
    with its value read: the one line of the page that is a group's name and 族 alone (汉族),
    neither a label's line nor another value's. Found so, by what it says and not where, it is
    `found_without_label`: a reviewer confirms it."""
    from extract.checks import ethnicity

    for fname, spec in doctype.fields.items():
        if spec.type != "ethnicity" or fname in out:
            continue
        taken = {sp.line for v in values.values() for sp in v.spans} | {lab.line for lab in labels}
        found = [
            (li, m) for li, l in enumerate(lines) if li not in taken
            and (m := _GROUP_LINE.fullmatch(l.text)) and ethnicity.is_known(m.group("v"), historical=False)
        ]
        if len(found) != 1:
            continue
        li, m = found[0]
        f = to_field(spec.type, Value([span_of(lines, li, m.start("v"), m.end("v"))], source="pattern"))
        if f.value is not None:
            f.checks.append("found_without_label")
            out[fname] = f
