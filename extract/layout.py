"""Layout stage: text lines -> reading order, labels, and label-value pairs.

Works on lines in a "view" (a deskewed page or a perspective-corrected card), where text runs
left to right. Labels come from the document type's declaration; a value is the text after its
label on the same line, else the nearest line to its right on the same row, else the line below
it. Values may run over several lines (addresses, diagnoses). Each piece of text keeps its
per-character confidences and a box, so a field knows where it came from and how sure it is.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from ocr.base import OcrLine

_SPACES = re.compile(r"[\s\u3000]+")
_LEAD_PUNCT = "：:;；,，.。、 　_-—|·•"


def fold(ch: str) -> str:
    """Full-width -> half-width for one character (NFKC), keeping CJK as is."""
    return unicodedata.normalize("NFKC", ch)


@dataclass
class Span:
    """A contiguous piece of one line's text with its geometry and character confidences."""

    line: int  # index into the lines list
    start: int  # character offsets into the line text
    end: int
    text: str
    bbox: list[float]
    confs: list[float]
    alts: list[list[tuple[str, float]]] | None = None

    @property
    def mean_conf(self) -> float:
        return sum(self.confs) / len(self.confs) if self.confs else 0.0


@dataclass
class Label:
    field: str
    label: str
    line: int
    start: int  # offsets in the line's original text
    end: int
    bbox: list[float]
    # 2: followed by a colon; 1: followed by a space or the end of its line; 0: run into text
    strength: int = 1
    fuzzy: bool = False


OTHER = "_other"  # field name of labels that are printed but not extracted


@dataclass
class Value:
    spans: list[Span] = field(default_factory=list)
    source: str = "label"  # label | right | below | template | pattern

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    @property
    def bbox(self) -> list[float] | None:
        if not self.spans:
            return None
        bs = [s.bbox for s in self.spans]
        return [min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs)]

    @property
    def confs(self) -> list[float]:
        return [c for s in self.spans for c in s.confs]

    @property
    def alts(self) -> list[list[tuple[str, float]]] | None:
        out: list[list[tuple[str, float]]] = []
        for s in self.spans:
            if s.alts is None:
                return None
            out.extend(s.alts)
        return out


def char_boxes(line: OcrLine) -> list[tuple[float, float]]:
    """x-extent of each character of a line (uniform spacing when the engine gave none)."""
    x0, _, x1, _ = line.bbox
    n = max(1, len(line.text))
    w = x1 - x0
    if line.char_positions and len(line.char_positions) == len(line.text):
        centres = [x0 + p * w for p in line.char_positions]
    else:
        centres = [x0 + (i + 0.5) * w / n for i in range(n)]
    out = []
    for i, c in enumerate(centres):
        left = (centres[i - 1] + c) / 2 if i > 0 else max(x0, c - w / (2 * n))
        right = (c + centres[i + 1]) / 2 if i + 1 < n else min(x1, c + w / (2 * n))
        out.append((left, right))
    return out


def span_of(lines: list[OcrLine], idx: int, start: int, end: int) -> Span:
    line = lines[idx]
    start, end = max(0, start), min(len(line.text), end)
    xs = char_boxes(line)
    _, y0, _, y1 = line.bbox
    if end > start:
        bx = [xs[start][0], y0, xs[end - 1][1], y1]
    else:
        bx = [line.bbox[0], y0, line.bbox[0], y1]
    confs = (
        list(line.char_confidences[start:end])
        if line.char_confidences and len(line.char_confidences) == len(line.text)
        else [line.confidence] * (end - start)
    )
    alts = (
        list(line.char_alternatives[start:end])
        if line.char_alternatives and len(line.char_alternatives) == len(line.text)
        else None
    )
    return Span(idx, start, end, line.text[start:end], [float(v) for v in bx], confs, alts)


def trim_span(lines: list[OcrLine], sp: Span) -> Span | None:
    """Strip spaces and leading/trailing label punctuation from a span."""
    t = lines[sp.line].text
    s, e = sp.start, sp.end
    while s < e and (t[s] in _LEAD_PUNCT or t[s].isspace()):
        s += 1
    while e > s and (t[e - 1] in "：:;；,，、 　|" or t[e - 1].isspace()
                     # a speck after a Han character read as a dot (a sentence ends in 。, not in .;
                     # a middle dot may join the line to the next: 碧桂园· / 凤凰城)
                     or (t[e - 1] == "." and e - 2 >= s and "\u4e00" <= t[e - 2] <= "\u9fff")):
        e -= 1
    if e <= s:
        return None
    return span_of(lines, sp.line, s, e)


def reading_order(lines: list[OcrLine]) -> list[int]:
    """Indices of lines top-to-bottom, then left-to-right within a row."""
    if not lines:
        return []
    idx = sorted(range(len(lines)), key=lambda i: (lines[i].bbox[1] + lines[i].bbox[3]) / 2)
    rows: list[list[int]] = []
    for i in idx:
        b = lines[i].bbox
        cy, h = (b[1] + b[3]) / 2, b[3] - b[1]
        if rows:
            rb = [lines[j].bbox for j in rows[-1]]
            rcy = sum((r[1] + r[3]) / 2 for r in rb) / len(rb)
            rh = sum(r[3] - r[1] for r in rb) / len(rb)
            if abs(cy - rcy) < 0.5 * min(h, rh):
                rows[-1].append(i)
                continue
        rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda j: lines[j].bbox[0])]


_SPECK_DOTS = "·•‧・∙.`'˙´‘’"  # a dot or a tick of toner
_SPECK_BARS = "|丨｜"  # a ruling line or a scratch
# a speck beside a bracket of a label (引起（a).的疾病或情况) is no part of it either
_HAN_OR_BRACKET = re.compile(r"[\u4e00-\u9fff()（）]")


def _squeeze(text: str) -> tuple[str, list[int]]:
    """Text without spaces and half-width folded, with a map to original offsets. A dot between
    two Han characters is dropped too: a speck of toner in a spaced-out label (姓·名); so is
    one between a bracket and a Han character (引起（a).的疾病或情况), and a bar between two Han
    characters (引|起: a ruling or a scratch read as one). A capital letter in brackets is the
    small one ((C) of 引起(b)的疾病或情况(c)): a row's letter, read in either case; a closing
    bracket read twice is one."""
    out, pos = [], []
    for i, ch in enumerate(text):
        if ch.isspace() or ch == "\u3000":
            continue
        if ch in _SPECK_DOTS and 0 < i < len(text) - 1 and _HAN_OR_BRACKET.match(text[i - 1]) \
                and _HAN_OR_BRACKET.match(text[i + 1]) and (_HAN.match(text[i - 1]) or _HAN.match(text[i + 1])):
            continue
        if ch in _SPECK_BARS and 0 < i < len(text) - 1 and _HAN.match(text[i - 1]) and _HAN.match(text[i + 1]):
            continue
        f = fold(ch)
        if f[:1] == ")" and out and out[-1] == ")":
            continue  # a closing bracket read twice (引起(b))的疾病或情况)
        out.append(f[:1] if f else ch)
        pos.append(i)
    # a row's letter in brackets, (c) or (C): one label either way
    for k in range(1, len(out) - 1):
        if out[k - 1] == "(" and out[k + 1] == ")" and "A" <= out[k] <= "Z":
            out[k] = out[k].lower()
    return "".join(out), pos


def _strength(text: str, end: int) -> int:
    """2: a colon follows (or ends the label); 1: a space or the end of the line follows, or
    the label closes with a bracket (引起(a)的疾病或情况(b)吸入性肺炎: the bracket ends it);
    0: run into text."""
    k = end
    while k < len(text) and (text[k].isspace() or text[k] == "\u3000"):
        k += 1
    if (k < len(text) and text[k] in "：:") or (end > 0 and text[end - 1] in "：:"):
        return 2
    if k == len(text) or k > end or (end > 0 and text[end - 1] in ")）]】"):
        return 1
    if re.fullmatch(r"[.。·,，\s\u3000]{1,2}", text[k:]):
        return 1  # a speck read as a dot after the label, at its line's end: the line ends there
    return 0


_HAN = re.compile(r"[\u4e00-\u9fff]")
# a label heading a longer heading: 主治医师查房： (the ward round, not the physician)
_HEADING_TAIL = re.compile(r"[\s\u3000]*[\u4e00-\u9fff]{1,4}[\s\u3000]*[:：]")
_SENTENCE_PUNCT = set("，。；,;！!？?")


def _inside_running_text(text: str, lab: Label, chosen: list[Label], lines: list[OcrLine] | None = None) -> bool:
    """A label occurrence that is a piece of running text rather than a label, when it is run
    into text after it (strength 0) and either

    - glued to the Han characters before it (上级医师查房, 11月1日主治医师查房：患者…): the
      preceding characters make it part of a longer word. Declared labels that end with it
      (上级医师, 主治医师) win over it as longer labels before this check. It still counts
      after the short value of a label to its left on its line (姓名张三性别男: OCR dropped the
      spaces between the cells of a row), or after the short value that begins its line when
      a label stands on its own just left of that line, on its row (性别 | 男民族汉: the
      label's box apart, the value and the next cell read as one line), or
    - the head of a longer heading: a few Han characters and a colon follow (主治医师查房：).

    A label followed by a colon, a space or the end of its line stands as a label."""
    if lab.strength > 0 or lab.field == OTHER:
        return False
    if _HEADING_TAIL.match(text, lab.end):
        inner = [c for c in chosen if c.line == lab.line and c is not lab and lab.end <= c.start]
        m = _HEADING_TAIL.match(text, lab.end)
        if not any(c.start < m.end() for c in inner):  # 性别男年龄： — the colon is another label's
            return True
    k = lab.start - 1
    if k < 0 or not _HAN.match(text[k]):
        return False  # at the start of its line, or after a space, a separator or a digit
    prev = [c for c in chosen if c.line == lab.line and c.end <= lab.start]
    if prev:
        c = max(prev, key=lambda c: c.end)
        gap = re.sub(r"[\s\u3000]", "", text[c.end : lab.start])
        if len(gap) <= 6 and not _SENTENCE_PUNCT.intersection(gap):
            return False  # after the value of the label to its left
    elif lines is not None and _after_row_label(text, lab, chosen, lines):
        return False
    return True


def _after_row_label(text: str, lab: Label, chosen: list[Label], lines: list[OcrLine]) -> bool:
    """Is `lab` preceded on its line by a short value (one to four characters: a sex, a name,
    an ethnicity; no sentence punctuation) whose label stands as a line of its own just left of
    the line, on its row?"""
    head = re.sub(r"[\s\u3000]", "", text[: lab.start])
    if not (1 <= len(head) <= 4) or _SENTENCE_PUNCT.intersection(head):
        return False
    b = lines[lab.line].bbox
    h = max(1.0, b[3] - b[1])
    for c in chosen:
        if c.line == lab.line or c.field == OTHER or c.strength == 0:
            continue
        own = lines[c.line]
        if _squeeze(own.text[c.end:])[0].strip(":：") or own.text[: c.start].strip():
            continue  # the label is not alone on its line
        cb = own.bbox
        if _row_overlap(cb, b) >= 0.5 and cb[2] <= b[0] + 0.5 * h and b[0] - cb[2] < 4 * h:
            return True
    return False


# a label of SHORT_FUZZY_MIN..4 characters read with one wrong character (姓书, 出生维, 户超地址)
SHORT_FUZZY_MIN = 2
# ... whose wrong character the recogniser was unsure of: below this confidence, or the
# label's character among its alternatives
SHORT_FUZZY_CONF = 0.6
SHORT_FUZZY_CONF_FORMAL = 0.8


def _alt_has(line: OcrLine, ci: int, ch: str) -> bool:
    """Whether the recogniser gave `ch` as an alternative reading of character `ci` of `line`."""
    alts = (line.char_alternatives[ci] if line.char_alternatives and len(line.char_alternatives) == len(line.text)
            else None) or []
    return any(fold(a)[:1] == ch for a, _ in alts)


# the number of a record's section before its heading (3.入院情况：, 二、诊疗经过：)
_SECTION_NUMBER = re.compile(r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})[.、．]")


def _cut_label(sq: str, lab: str, all_labels: list[str]) -> bool:
    """Whether a line alone is a label of four or more characters with its last one lost (发证日
    for 发证日期, under a seal's ring): the beginning of that label only, and no other declared
    label (出生日 is 出生日期 cut short as much as 出生地 misread: none)."""
    n = len(lab)
    read = sq.rstrip(":：")
    if n < 4 or read != lab[: n - 1]:
        return False
    return not any(o != lab and (o.startswith(read) or len(o) == len(read) and sum(a != b for a, b in zip(o, read)) <= 1)
                   for o in all_labels)


def _dropped_char_label(sq: str, lab: str, all_labels: list[str]) -> bool:
    """Whether a line begins with a label of four or more characters with one inner character
    lost (填表期： for 填表日期：, a thin 日 under a seal's rim), closed by its colon: a form's
    label, not running text. Not when what was read is, or begins, another declared label, is
    one character off one, or is another one with a character lost too (出日期 of 出院日期
    and of 出具日期: which one?)."""
    n = len(lab)
    if n < 4 or len(sq) < n or sq[n - 1] not in ":：":
        return False
    read = sq[: n - 1]
    if not any(read == lab[:k] + lab[k + 1:] for k in range(1, n - 1) if _HAN.match(lab[k])):
        return False

    def near(o: str) -> bool:
        if o.startswith(read) or (len(o) == len(read) and sum(a != b for a, b in zip(o, read)) <= 1):
            return True
        return len(o) == len(read) + 1 and any(read == o[:k] + o[k + 1:] for k in range(len(o)))

    return not any(o != lab and near(o) for o in all_labels)


def _short_fuzzy(line: OcrLine, sq: str, pos: list[int], lab: str, all_labels: list[str]) -> bool:
    """Whether a short label (two to four characters) was read with one wrong character at the
    start of `line` (`sq`: its squeezed text, `pos`: the offsets). Four-character labels are
    alike (出院日期 / 出具日期), so only when everything points at this label:

    - the line is the label alone (a colon may follow; for labels of three or four characters
      a space and a value may follow too): a label cell of a form, not running text;
    - the wrong character is a Han character the recogniser was unsure of (confidence below
      :data:`SHORT_FUZZY_CONF`, or the label's character among its alternatives);
    - no other declared label of the document type is one character from what was read, and
      what was read is not part of a declared label (出生日 of 出生日期: a label cut short)."""
    n = len(lab)
    if len(sq) < n:
        return False
    win = sq[:n]
    diff = [k for k, (a, b) in enumerate(zip(win, lab)) if a != b]
    if len(diff) != 1 or not _HAN.match(win[diff[0]]) or not _HAN.match(lab[diff[0]]):
        return False
    rest = sq[n:]
    if rest and rest[0] not in ":：":
        if n < 3:
            return False
        k = pos[n - 1] + 1  # a space after the label in the original text, then a value
        # or, after a label of four, a number run on (发证口期2011年5月9日: a date, a number)
        glued_number = n >= 4 and rest[0].isdigit()
        if not glued_number and (k >= len(line.text) or not (line.text[k].isspace() or line.text[k] == "\u3000")):
            return False
    elif len(rest) > 1 and n < 3:
        return False
    ci = pos[diff[0]]
    conf = (line.char_confidences[ci] if line.char_confidences and len(line.char_confidences) == len(line.text)
            else line.confidence)
    # a label of four alone in its cell or closed by its colon (主治医饰, 医生签学：) stands out
    # from running text by its form: the recogniser's doubt may be smaller
    limit = SHORT_FUZZY_CONF_FORMAL if n >= 4 and (not rest or rest[0] in ":：") else SHORT_FUZZY_CONF
    if conf >= limit and not _alt_has(line, ci, lab[diff[0]]):
        return False
    for other in all_labels:
        if other == lab:
            continue
        if win in other:
            return False
        if len(other) == n and sum(a != b for a, b in zip(win, other)) <= 1:
            return False
    return True


def find_labels(
    lines: list[OcrLine], labels: dict[str, list[str]], fuzzy: bool = True, ignore: list[str] | None = None,
    each: set[str] | frozenset[str] = frozenset(),
) -> list[Label]:
    """Every label occurrence: exact (spaces ignored, so '姓　名' matches; full-width folded), or
    with one wrong character for labels of 5+ characters (four-character labels are too alike: 出院日期 /
    出具日期). Longer and exact labels win over
    labels inside them. Occurrences inside an `ignore` word (the title 诊断证明书 holds 诊断) are
    dropped; for a field that has a label followed by a colon, a space or the end of its line,
    occurrences run into other text (建议 in 建议住院治疗) are dropped too. Labels of the field
    :data:`OTHER` of two characters or fewer count only when they stand as labels. A label read
    with one wrong character stands in for one not read exactly anywhere: for a field in
    `each` (a chain of causes, one row per label) for its own declared label, not the field's."""
    cands: list[tuple[int, int, int, Label]] = []
    ignore_sq = [_squeeze(w)[0] for w in (ignore or []) if w]
    all_sq = sorted({_squeeze(w)[0] for labs in labels.values() for w in labs if w})
    # a field's own labels are no rivals of each other (医生签学 is as near 医生签名 as 医生签字)
    own_sq = {f: ({_squeeze(w)[0] for w in labs if w} if f != OTHER else set()) for f, labs in labels.items()}
    for li, line in enumerate(lines):
        sq, pos = _squeeze(line.text)
        blocked = [False] * len(sq)
        for w in ignore_sq:
            for m in re.finditer(re.escape(w), sq):
                for k in range(m.start(), m.end()):
                    blocked[k] = True
        for fname, labs in labels.items():
            for lab0 in labs:
                lab = _squeeze(lab0)[0]
                n = len(lab)
                if not n:
                    continue
                hits = [(m.start(), False) for m in re.finditer(re.escape(lab), sq)]
                if not hits and fuzzy and n >= 5 and len(sq) >= n:
                    for s in range(0, max(0, len(sq) - n) + 1):
                        diff = [k for k, (a, b) in enumerate(zip(sq[s : s + n], lab)) if a != b]
                        # a colon written into a label (医疗卫生机构：) is part of its meaning
                        if any(lab[k] in ":：" for k in diff):
                            continue
                        # one wrong character; in a label of eight or more, a second one whose
                        # right reading the recogniser gave as an alternative (户主维与产主关系)
                        if len(diff) == 1 or (
                            len(diff) <= n // 4 and sum(not _alt_has(line, pos[s + k], lab[k]) for k in diff) <= 1
                        ):
                            hits.append((s, True))
                            break
                if not hits and fuzzy and SHORT_FUZZY_MIN <= n < 5:
                    # at the line's start, or after a section's number (3.人院情况：)
                    k0 = m.end() if (m := _SECTION_NUMBER.match(sq)) and n >= 4 else 0
                    if _short_fuzzy(line, sq[k0:], pos[k0:], lab, [o for o in all_sq if o not in own_sq[fname]]):
                        hits.append((k0, True))
                # a label one character short (its last lost, or an inner one before its colon)
                if not hits and fuzzy and (_cut_label(sq, lab, all_sq) or _dropped_char_label(sq, lab, all_sq)):
                    sp = span_of(lines, li, pos[0], pos[n - 2] + 1)
                    cands.append((n - 1, 1, li, Label(fname, lab0, li, pos[0], pos[n - 2] + 1, sp.bbox,
                                                      _strength(line.text, pos[n - 2] + 1), True)))
                for s, fz in hits:
                    if any(blocked[s : s + n]):
                        continue
                    a, b = pos[s], pos[s + n - 1] + 1
                    st = _strength(line.text, b)
                    if fname == OTHER and n <= 2 and st == 0:
                        continue
                    sp = span_of(lines, li, a, b)
                    cands.append((n, int(fz), li, Label(fname, lab0, li, a, b, sp.bbox, st, fz)))
    cands.sort(key=lambda c: (-c[0], c[1]))
    chosen: list[Label] = []
    for _, _, li, lab in cands:
        if any(c.line == li and c.start < lab.end and lab.start < c.end for c in chosen):
            continue
        chosen.append(lab)
    chosen = [l for l in chosen if not _inside_running_text(lines[l.line].text, l, chosen, lines)]
    # a label read with one wrong character stands in only for a label not read at all (a printed
    # label of :data:`OTHER` stands for itself: the one word, not the field)
    def key(l: Label) -> tuple[str, str]:
        return (l.field, l.label if l.field == OTHER or l.field in each else "")

    # and a label of five or more read with one wrong character only for a label not read exactly
    # anywhere on the page: the title 中华人民共和国社会保障卡 holds 社会保障卡, one character from
    # 社会保障号, and standing at its line's end it would outrank the row 社会保障号码620521…
    exact = {key(l) for l in chosen if not l.fuzzy}
    chosen = [l for l in chosen if not (l.fuzzy and key(l) in exact)]
    strong = {l.field for l in chosen if l.strength > 0}
    chosen = [l for l in chosen if l.strength > 0 or l.field not in strong or l.field == OTHER]
    chosen.sort(key=lambda l: (l.line, l.start))
    return chosen


def join_split_labels(lines: list[OcrLine], label_words: list[str]) -> list[OcrLine]:
    """A letter-spaced label (日　期：, 姓　名) that the OCR read as separate boxes on one row:
    the pieces joined into one line (with a full-width space where the gap was) when a piece of
    one to three characters and the start of the next one together begin with a label that
    neither begins alone. Other lines are returned as they are."""
    words = sorted({_squeeze(w)[0] for w in label_words if len(_squeeze(w)[0]) >= 2}, key=len, reverse=True)
    if not words or len(lines) < 2:
        return lines
    out = list(lines)
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(out):
            sa = _squeeze(a.text)[0]
            if not (1 <= len(sa) <= 3) or any(ch in ":：" for ch in sa):
                continue
            ba, h = a.bbox, a.height
            best = None
            for j, b in enumerate(out):
                if j == i:
                    continue
                bb = b.bbox
                if _row_overlap(ba, bb) < 0.6 or not (0.7 < b.height / max(1.0, h) < 1.4):
                    continue
                gap = bb[0] - ba[2]
                if -0.2 * h <= gap <= 1.5 * h and (best is None or gap < best[1]):
                    best = (j, gap)
            if best is None:
                continue
            b = out[best[0]]
            sb = _squeeze(b.text)[0]
            joined = sa + sb
            w = next((w for w in words if joined.startswith(w)), None)
            if w is None or len(w) <= len(sa) or any(sb.startswith(x) for x in words) or sa.startswith(w):
                continue
            out[i] = _join_lines(a, b)
            del out[best[0]]
            changed = True
            break
    return out


def _join_lines(a: OcrLine, b: OcrLine) -> OcrLine:
    ba, bb = a.bbox, b.bbox
    x0, y0, x1, y1 = min(ba[0], bb[0]), min(ba[1], bb[1]), max(ba[2], bb[2]), max(ba[3], bb[3])
    w = max(1.0, x1 - x0)
    ca = [(l + r) / 2 for l, r in char_boxes(a)]
    cb = [(l + r) / 2 for l, r in char_boxes(b)]
    centres = ca + [(ba[2] + bb[0]) / 2] + cb
    ka = list(a.char_confidences) if a.char_confidences and len(a.char_confidences) == len(a.text) else [a.confidence] * len(a.text)
    kb = list(b.char_confidences) if b.char_confidences and len(b.char_confidences) == len(b.text) else [b.confidence] * len(b.text)
    return OcrLine(
        text=a.text + "\u3000" + b.text,
        confidence=min(a.confidence, b.confidence),
        polygon=[(x0, y0), (x1, y0), (x1, y1), (x0, y1)],
        char_confidences=ka + [min(a.confidence, b.confidence)] + kb,
        char_alternatives=None,
        char_positions=[(c - x0) / w for c in centres],
    )


def _offset_value(lines: list[OcrLine], lab: Label, by_line: dict[int, list[Label]]) -> int | None:
    """A value printed a little off its label's line (a form filled in by another printer):
    the nearest line right of the label that overlaps its row by a third, when no other label
    left of that line overlaps it more (then it is that label's value). A label left of this
    one on its row is not such a label: this one stands between it and the line (values set at
    the top of their cells, 姓名 | 李伯 | 与户主关系 | 户主, all labels centred)."""
    lh = lab.bbox[3] - lab.bbox[1]
    best, bestd = None, 1e18
    for li, line in enumerate(lines):
        if li == lab.line or by_line.get(li):
            continue
        b = line.bbox
        ov = _row_overlap(b, lab.bbox)
        if ov < 0.3 or b[0] < lab.bbox[2] - 0.5 * lh or b[3] - b[1] > 1.6 * lh:
            continue
        if any(
            li2 != lab.line and lines[li2].bbox[2] <= b[0] + 0.5 * lh and _row_overlap(lines[li2].bbox, b) > ov
            and not (lines[li2].bbox[2] <= lab.bbox[0] and _row_overlap(lines[li2].bbox, lab.bbox) >= 0.5)
            for li2 in by_line
        ):
            continue
        d = b[0] - lab.bbox[2]
        if d < bestd:
            best, bestd = li, d
    return best


def _row_overlap(a: list[float], b: list[float]) -> float:
    inter = min(a[3], b[3]) - max(a[1], b[1])
    return inter / max(1.0, min(a[3] - a[1], b[3] - b[1]))


# an unknown label inside a value: "内科　床号：12" ends the department at 床号
_INNER_LABEL = re.compile(r"(?<=[\s\u3000])[\u4e00-\u9fffA-Za-z]{1,7}[\s\u3000]?[:：]")


_BARE_LABEL = re.compile(r"[\s\u3000]*[\u4e00-\u9fff][\u4e00-\u9fff\s\u3000]{0,8}[:：][\s\u3000]*")


def _read_again_beside(lines: list[OcrLine], li: int, sp: Span, by_line: dict[int, list[Label]]) -> bool:
    """Whether the text after a label on its line (`sp`) is a piece of another line on the same
    row that overlaps it and reads more: the detector's box of 姓名 ran into the name's first
    character (姓名古 beside 胡凤英): the value is the other line."""
    b = sp.bbox
    w = max(1.0, b[2] - b[0])
    for lj, line in enumerate(lines):
        if lj == li or by_line.get(lj):
            continue
        ob = line.bbox
        if _row_overlap(ob, b) < 0.5 or ob[0] <= lines[li].bbox[0]:
            continue
        if ob[3] - ob[1] > 2.0 * max(1.0, b[3] - b[1]):
            continue  # a seal's or a stamp's text across the row (南省人民医院), not the value again
        inside = min(b[2], ob[2]) - max(b[0], ob[0])
        if inside >= 0.5 * w and len(line.text.strip()) > len(sp.text.strip()):
            return True
    return False


def line_between(lines: list[OcrLine], upper: list[float], nxt: int, skip: set[int], h: float) -> bool:
    """Is there a line (not in `skip`) standing between box `upper` and line `nxt` under it, across
    `nxt`'s width (a section's heading between a value's last line and the next line down)?"""
    nb = lines[nxt].bbox
    return any(li not in skip and li != nxt and l.text.strip() and l.bbox[1] >= upper[3] - 0.3 * h
               and l.bbox[3] <= nb[1] + 0.3 * h and l.bbox[0] < nb[2] and l.bbox[2] > nb[0]
               for li, l in enumerate(lines))


def _bare_label(text: str) -> bool:
    """A line that is nothing but a label and its colon (审核医师：), undeclared or not: the
    label of another cell, never a value."""
    return bool(_BARE_LABEL.fullmatch(text))


# a line above a value's first line, level with the value's label (a two-line value centred on
# its label's row): its box reaches into the label's height band by at least this share
ABOVE_LABEL_OVERLAP = 0.1
# ... and stands on the value's first line: the gap between them at most this many line heights
ABOVE_GAP = 0.5


def line_above(lines: list[OcrLine], lab: Label, first: Span, by_line: dict[int, list[Label]],
               taken: set[int]) -> int | None:
    """The first line of a value printed on two lines centred on its label's row: the line just
    above the value's first line (`first`), stacked on it (at most :data:`ABOVE_GAP` line
    heights between them), starting at its left edge, of its height, right of the label, and
    reaching into the label's height band; a line with a label on it, a bare label, a line
    already taken, or a line on the row of another label left of it (the row above) is not.
    None when there is none."""
    fb = first.bbox
    fh = max(1.0, fb[3] - fb[1])
    lb = lab.bbox
    lh = max(1.0, lb[3] - lb[1])
    best, best_bottom = None, -1e18
    for li, line in enumerate(lines):
        if li in taken or li == lab.line or li == first.line or by_line.get(li) or not line.text.strip():
            continue
        b = line.bbox
        h = b[3] - b[1]
        if not (1 / 1.35 <= h / fh <= 1.35):
            continue
        if b[1] > fb[1] - 0.3 * fh or b[3] > fb[3] - 0.3 * fh:
            continue  # not above the value's first line
        if b[3] < fb[1] - ABOVE_GAP * fh:
            continue  # not stacked on it
        if b[3] < lb[1] + ABOVE_LABEL_OVERLAP * lh:
            continue  # above the label's row: the row above
        if abs(b[0] - fb[0]) > 1.5 * fh or b[0] < lb[2] - 0.5 * lh:
            continue
        if _bare_label(line.text):
            continue
        if any(
            li2 != lab.line and lines[li2].bbox[2] <= b[0] + 0.5 * h and _row_overlap(lines[li2].bbox, b) >= 0.5
            and _row_overlap(lines[li2].bbox, lb) < 0.5
            for li2 in by_line
        ):
            continue  # a label of another row left of it: that row's value
        if b[3] > best_bottom:
            best, best_bottom = li, b[3]
    return best


def label_piece(text: str, words: list[str]) -> bool:
    """Whether a line is nothing but a short declared label (three or four characters) without
    its first or its last character, a colon aside: a label whose end the OCR lost (曾用名 read
    as 用名), never a value. Longer pieces of longer labels can be values (医疗卫生机构 of
    医疗卫生机构盖章). `words`: the document type's label words, squeezed."""
    sq = _squeeze(text)[0].strip(":：")
    if len(sq) < 2 or not _HAN.match(sq[0]):
        return False
    return any(3 <= len(w) <= 4 and sq in (w[1:], w[:-1]) for w in words)


def _label_left_on_row(lines: list[OcrLine], b: list[float], lab: Label, by_line: dict[int, list[Label]],
                       h: float) -> bool:
    """Does a label's line other than `lab`'s end on box `b`'s row, between `lab`'s left edge
    (less 1.5 line heights) and `b`'s start? Then `b` is that label's value (the next row of a
    grid), not more of `lab`'s."""
    return any(li2 != lab.line and lab.bbox[0] - 1.5 * h <= lines[li2].bbox[2] <= b[0] + 0.5 * h
               and _row_overlap(lines[li2].bbox, b) >= 0.5 for li2 in by_line)


def _owned_by_row_label(lines: list[OcrLine], li: int, lab_line: int, by_line: dict[int, list[Label]]) -> bool:
    """Is line `li` the value right of a label of its own row: a label's line (ending in its
    label) left of it, with no other line between them on the row?"""
    b = lines[li].bbox
    h = b[3] - b[1]
    for li2, labs in by_line.items():
        if li2 in (li, lab_line):
            continue
        c = lines[li2].bbox
        if _row_overlap(c, b) < 0.5 or c[2] > b[0] + 0.5 * h:
            continue
        if max(l.end for l in labs) < len(lines[li2].text.rstrip(" ：:")):
            continue  # the label's line goes on past its label: that text is its value
        if not any(k not in (li, li2) and _row_overlap(lines[k].bbox, b) >= 0.5
                   and lines[k].bbox[0] >= c[2] - 0.5 * h and lines[k].bbox[2] <= b[0] + 0.5 * h
                   for k in range(len(lines))):
            return True
    return False


def pair_values(
    lines: list[OcrLine],
    labels: list[Label],
    multiline: dict[str, int] | None = None,
    below: dict[str, bool] | None = None,
    line_gap: dict[str, float] | None = None,
    label_words: list[str] | None = None,
) -> dict[str, Value]:
    """Pair each field's label with its value: the strongest occurrence first (a label followed
    by a colon before one run into text), then in reading order. Labels of :data:`OTHER` end
    values and are never paired, nor is a line that is a piece of a label (`label_words`, the
    document type's declared labels: :func:`label_piece`)."""
    words = sorted({_squeeze(w)[0] for w in (label_words or []) if w})
    pieces = {li for li, line in enumerate(lines) if words and label_piece(line.text, words)}
    multiline = multiline or {}
    below = below or {}
    line_gap = line_gap or {}
    by_line: dict[int, list[Label]] = {}
    for lab in labels:
        by_line.setdefault(lab.line, []).append(lab)
    label_lines_start = {lab.line for lab in labels if lab.start <= 1}
    out: dict[str, Value] = {}

    def text_until_label(li: int, start: int) -> Span | None:
        nxt = [l.start for l in by_line.get(li, []) if l.start >= start]
        end = min(nxt) if nxt else len(lines[li].text)
        m = _INNER_LABEL.search(lines[li].text, start + 1, end)
        if m is not None and m.start() > start:
            end = m.start()
        return trim_span(lines, span_of(lines, li, start, end))

    order = sorted(labels, key=lambda l: (-l.strength, l.line, l.start))
    for lab in order:
        if lab.field in out or lab.field == OTHER:
            continue
        val = Value()
        sp = text_until_label(lab.line, lab.end)
        if sp is not None and _read_again_beside(lines, lab.line, sp, by_line):
            sp = None  # the label's box took in a piece of the value, read whole beside it
        if sp is not None:
            val.spans.append(sp)
            val.source = "label"
        else:
            # nearest line to the right on the same row
            best, bestd = None, 1e18
            for li, line in enumerate(lines):
                if li == lab.line:
                    continue
                b = line.bbox
                if _row_overlap(b, lab.bbox) < 0.5 or b[0] < lab.bbox[2] - 0.5 * (lab.bbox[3] - lab.bbox[1]):
                    continue
                if b[3] - b[1] > 2.5 * (lab.bbox[3] - lab.bbox[1]):
                    continue  # a stamp or a watermark across the row (与原件一致), not a value
                d = b[0] - lab.bbox[2]
                if d < bestd:
                    best, bestd = li, d
            if best is None:
                best = _offset_value(lines, lab, by_line)
            if (best is not None and not any(l.start <= 1 for l in by_line.get(best, [])) and not _bare_label(lines[best].text)
                    and best not in pieces):
                cell = [best]
                if multiline.get(lab.field, 1) > 1:
                    # a value wrapped inside its cell: lines stacked at the same left edge
                    bb = lines[best].bbox
                    hh = bb[3] - bb[1]
                    for li, line in enumerate(lines):
                        b = line.bbox
                        if li == best or li == lab.line or by_line.get(li):
                            continue
                        if b[3] - b[1] > 2.5 * (lab.bbox[3] - lab.bbox[1]):
                            continue  # a stamp or a watermark across the cell (复印无效), as above
                        if _row_overlap(b, lab.bbox) >= 0.5 and abs(b[0] - bb[0]) <= 1.5 * hh:
                            cell.append(li)
                    cell.sort(key=lambda li: lines[li].bbox[1])
                for li in cell[: multiline.get(lab.field, 1)]:
                    sp = text_until_label(li, 0)
                    if sp is not None:
                        val.spans.append(sp)
                        val.source = "right"
            if not val.spans and below.get(lab.field, True):
                h = lab.bbox[3] - lab.bbox[1]
                cands = []
                for li, line in enumerate(lines):
                    b = line.bbox
                    if b[1] <= lab.bbox[1] + 0.5 * h or b[1] - lab.bbox[3] > 2.5 * h:
                        continue
                    if b[2] < lab.bbox[0] or b[0] > lab.bbox[2] + 4 * h:
                        continue
                    if li in label_lines_start or li in pieces or _bare_label(line.text) or b[3] - b[1] > 2.5 * h:
                        continue
                    if _label_left_on_row(lines, b, lab, by_line, h):
                        continue  # the value of a label left of it on its row (the next row of a grid)
                    if _owned_by_row_label(lines, li, lab.line, by_line):
                        continue  # the next row's label, however far left, reads it as its own value
                    cands.append((b[1], li))
                if cands:
                    li = min(cands)[1]
                    sp = text_until_label(li, 0)
                    if sp is not None:
                        val.spans.append(sp)
                        val.source = "below"
        if not val.spans:
            continue
        if val.source in ("label", "right") and multiline.get(lab.field, 1) > len(val.spans):
            # the first line of a value centred on its label's row stands above the label's line
            used = {sp.line for v in out.values() for sp in v.spans} | {sp.line for sp in val.spans}
            up = line_above(lines, lab, val.spans[0], by_line, used | label_lines_start | pieces)
            if up is not None:
                sp = text_until_label(up, 0)
                if sp is not None:
                    val.spans.insert(0, sp)
        # continuation lines (addresses, diagnoses): under the value or under the label
        extra = multiline.get(lab.field, 1) - len(val.spans)
        gap = line_gap.get(lab.field, 0.9)
        last = val.spans[-1]
        x_lefts = [last.bbox[0]] + ([lab.bbox[0]] if extra > 0 and val.source != "below" else [])
        taken = {sp.line for sp in val.spans}
        while extra > 0:
            h = last.bbox[3] - last.bbox[1]
            nxt = None
            for li, line in enumerate(lines):
                b = line.bbox
                if li in taken or b[1] < last.bbox[1] + 0.5 * h:
                    continue
                if b[1] - last.bbox[3] > gap * h or min(abs(b[0] - x) for x in x_lefts) > 1.5 * h:
                    continue
                if nxt is None or b[1] < lines[nxt].bbox[1]:
                    nxt = li
            # the next line down is a label's line, or the value of a label left of it on its
            # row (the next row of a grid): the value has ended; a label further left than this
            # field's own (the other panel of a booklet, another block) does not end it
            if nxt is None or nxt in label_lines_start or by_line.get(nxt):
                break
            nb = lines[nxt].bbox
            if _label_left_on_row(lines, nb, lab, by_line, h):
                break
            if line_between(lines, last.bbox, nxt, taken, h):
                break  # another line between them (a section's heading further left): the value ended
            sp = text_until_label(nxt, 0)
            if sp is None:
                break
            val.spans.append(sp)
            taken.add(nxt)
            last = sp
            extra -= 1
        out[lab.field] = val
    return out


def spans_in_box(lines: list[OcrLine], box: list[float], exclude: list[Label] | None = None) -> Value:
    """Text whose centre lies in `box` (view pixels), label text removed: the template fallback."""
    exclude = exclude or []
    spans = []
    for li in reading_order(lines):
        line = lines[li]
        xs = char_boxes(line)
        _, y0, _, y1 = line.bbox
        cy = (y0 + y1) / 2
        if not (box[1] <= cy <= box[3]):
            continue
        inside = [i for i, (a, b) in enumerate(xs) if box[0] <= (a + b) / 2 <= box[2]]
        if len(inside) * 2 >= len(xs):
            # a line that mostly lies in the box is taken whole: a template box is only
            # approximately where the value sits (perspective, print offsets)
            inside = list(range(len(xs)))
        keep = [i for i in inside if not any(l.line == li and l.start <= i < l.end for l in exclude)]
        if not keep:
            continue
        # contiguous runs
        run = [keep[0]]
        for i in keep[1:] + [None]:
            if i is not None and i == run[-1] + 1:
                run.append(i)
                continue
            sp = trim_span(lines, span_of(lines, li, run[0], run[-1] + 1))
            if sp is not None:
                spans.append(sp)
            if i is not None:
                run = [i]
    return Value(spans, source="template")


def slant(line: OcrLine) -> float:
    """The angle (degrees, -90..90) of a line's long side against the horizontal."""
    xs = [p[0] for p in line.polygon]
    ys = [p[1] for p in line.polygon]
    if len(xs) < 4:
        return 0.0
    # the polygon's longest edge gives the reading direction
    best, ang = -1.0, 0.0
    for k in range(4):
        dx, dy = xs[(k + 1) % 4] - xs[k], ys[(k + 1) % 4] - ys[k]
        d = dx * dx + dy * dy
        if d > best:
            best, ang = d, math.degrees(math.atan2(dy, dx))
    while ang > 90:
        ang -= 180
    while ang <= -90:
        ang += 180
    return ang


def is_slanted(line: OcrLine, limit: float = 8.0, ref_h: float | None = None) -> bool:
    """A line running at a clear angle to a level layout: a watermark or a stamp's text printed
    across the page ("复印无效" at 30°), not part of any block. Vertical lines are not slanted."""
    a = abs(slant(line))
    if limit < a < 90 - limit:
        return True
    # a level box drawn around slanted text: far taller than the page's lines (`ref_h`, their
    # typical height) and than its characters are wide
    x0, y0, x1, y1 = line.bbox
    w, h = x1 - x0, y1 - y0
    if ref_h is None or h < 2.0 * ref_h:
        return False
    text = "".join(line.text.split())
    n = sum(1 for ch in text if _HAN.match(ch))  # Han characters are square: a level line of
    # them is about n heights wide (its box a little taller than the characters)
    return n >= 3 and n >= 0.6 * len(text) and w > h > 0 and w < 0.75 * n * h


# a box at least this much taller than the page's lines, and this much taller than wide, holding
# a few Han characters: characters printed one under another, not one line
STACKED_TALL = 1.6
STACKED_NARROW = 1.5
STACKED_MAX_CHARS = 3


def split_stacked(lines: list[OcrLine]) -> list[OcrLine]:
    """Characters printed one under another that the detector boxed as one line (女 in the row
    of 性别 over 汉 in the row of 民族: two rows' one-character values, close together): the
    recogniser turns a box standing on end and reads it as one line (女汉), which pairs with
    one label. Such a line, a few Han characters in a box much taller than the page's lines and
    than it is wide, is split into one line per character, top to bottom (the order the turned
    box is read in), each a share of the box's height."""
    h = typical_height(lines)
    if not h:
        return lines
    out: list[OcrLine] = []
    for l in lines:
        b = l.bbox
        text = l.text.strip()
        bw, bh = b[2] - b[0], b[3] - b[1]
        if not (2 <= len(text) <= STACKED_MAX_CHARS and all("\u4e00" <= c <= "\u9fff" for c in text)
                and bh >= STACKED_TALL * h and bh >= STACKED_NARROW * bw and len(l.text) == len(text)):
            out.append(l)
            continue
        n = len(text)
        confs = l.char_confidences if l.char_confidences and len(l.char_confidences) == n else [l.confidence] * n
        alts = l.char_alternatives if l.char_alternatives and len(l.char_alternatives) == n else None
        for i, ch in enumerate(text):
            y0, y1 = b[1] + bh * i / n, b[1] + bh * (i + 1) / n
            out.append(OcrLine(text=ch, confidence=confs[i], polygon=[(b[0], y0), (b[2], y0), (b[2], y1), (b[0], y1)],
                               char_confidences=[confs[i]], char_alternatives=[alts[i]] if alts else None,
                               char_positions=[0.5]))
    return out


def typical_height(lines: list[OcrLine]) -> float | None:
    hs = sorted(l.bbox[3] - l.bbox[1] for l in lines)
    return hs[len(hs) // 2] if hs else None


# slanted lines within this many degrees of each other lie at one angle (the lines of one card
# laid askew on a copier's glass); a watermark's line stands apart from them
SAME_SLANT = 3.0


def _box_turned(line: OcrLine, angle: float) -> list[float]:
    """The line's box in a frame turned by `angle` degrees (its lines' own level frame)."""
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    pts = [(x * c + y * s, -x * s + y * c) for x, y in line.polygon]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return [min(xs), min(ys), max(xs), max(ys)]


def cluster_lines(lines: list[OcrLine], gap: float = 2.5) -> list[list[int]]:
    """Group lines into blocks: two lines belong together when the space between their boxes is
    less than `gap` line heights both ways. Separate cards on one page become separate blocks.
    A slanted line (a watermark across the page) links no level line: its box would span both
    cards of a copy. Slanted lines at one angle (:data:`SAME_SLANT`) are the lines of one
    thing laid askew (a card placed at 8 degrees on the glass): they link to each other, by the
    same rule in their own level frame."""
    n = len(lines)
    parent = list(range(n))
    ref_h = typical_height(lines)
    slanted = [is_slanted(l, ref_h=ref_h) for l in lines]
    angles = [slant(l) for l in lines]
    # slanted by their polygon (not only a level box drawn around slanted text)
    tilted = [slanted[i] and is_slanted(lines[i]) and len(lines[i].polygon) >= 4 for i in range(n)]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def near(a: list[float], b: list[float]) -> bool:
        h = max(8.0, a[3] - a[1], b[3] - b[1])
        dx = max(0.0, max(a[0], b[0]) - min(a[2], b[2]))
        dy = max(0.0, max(a[1], b[1]) - min(a[3], b[3]))
        return dx < gap * h and dy < gap * h

    boxes = [l.bbox for l in lines]
    for i in range(n):
        for j in range(i + 1, n):
            if not slanted[i] and not slanted[j]:
                if near(boxes[i], boxes[j]):
                    parent[find(i)] = find(j)
            elif tilted[i] and tilted[j] and abs(angles[i] - angles[j]) < SAME_SLANT:
                a = (angles[i] + angles[j]) / 2
                if near(_box_turned(lines[i], a), _box_turned(lines[j], a)):
                    parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: min(boxes[i][1] for i in g))


def split_columns(lines: list[OcrLine], ids: list[int], gap: float = 2.5, across: bool = False) -> list[list[int]]:
    """A block cut at its wide empty vertical bands: the ids of each side-by-side part, left to
    right (two cards laid next to each other on a copy, linked by a tall title line). A gap is
    wide when it is more than `gap` median line heights. `across`: cut at wide empty horizontal
    bands instead, the parts top to bottom (two cards one above the other, linked by one tall
    line: a number read with the slant of a card placed askew)."""
    if len(ids) < 2:
        return [list(ids)]
    lo, hi = (1, 3) if across else (0, 2)
    hs = sorted(lines[i].bbox[3] - lines[i].bbox[1] for i in ids)
    wide = gap * max(8.0, hs[len(hs) // 2])
    order = sorted(ids, key=lambda i: lines[i].bbox[lo])
    parts: list[list[int]] = [[order[0]]]
    end = lines[order[0]].bbox[hi]
    for i in order[1:]:
        b = lines[i].bbox
        if b[lo] - end > wide:
            parts.append([])
        parts[-1].append(i)
        end = max(end, b[hi])
    return parts
