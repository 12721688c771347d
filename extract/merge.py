"""Merge stage: a document printed over several pages becomes one document.

A long 出院记录 runs onto a second or third page. Read page by page, the next page comes out as
`unknown` or as a second, incomplete document of the same type, and what it prints (出院诊断,
the physician, 出院日期…) is missing from the first page's document. After all pages of a file
are read, `merge_pages` joins page N+1 to the document that ends page N when

- the document's type declares `continues_over_pages: true` (schemas/doctypes/*.yaml);
- page N+1 has no document of another type (its text is `unknown`, or of the same type: a running
  header repeats the title), and it is the next page;
- nothing says it is a new document: a page marker 第1页, page N marked as the last (第2页 共2页),
  page N+1 complete on its own with no page marker;
- the same person: every identity field (姓名, 住院号…) printed on both pages agrees. A different
  record number, or a different name with no other identity field agreeing, is never merged;
- and there is positive evidence (score >= 2, with at least one of: page marker, same person,
  text running on): a page marker 第2页 / 2/3 / - 2 - (2), an identity field repeated in a running
  header (2), page N+1 lacking required fields that page N has (1), page N+1 filling fields
  that page N lacks (1), text that runs on over the break (1).

Page N+1 is read with the parent's field rules even when it classified as `unknown` on its own
(the pipeline passes that reading in `PageText.readings`). The merged document keeps `page` =
its first page and gets `pages` and `regions` (one per page); every field keeps the `page` and
`bbox` (that page's pixels) it was read on. A field found on a later page fills a field missing
on the first; a multi-line value cut at the page break (diagnoses) is joined with the unlabeled
lines that open the next page; two pages printing different values of one field keep the more
confident one with the check `pages_disagree` (sends the field to review) and the other reading
in `other_pages`. A reading that failed its own checks (a doctor "name" of 30 characters) loses
to a clean one without a disagreement. Cross-field checks of the type are run again on the
merged fields, and `needs_review` is decided again.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from extract.confidence import FAILING_CAP
from extract.fields.base import ExtractedField
from schemas.doctypes import DocType
from schemas.result import DocumentResult, FieldResult, TextLine

# checks added here that send a field to review
MERGE_FAILING_CHECKS = frozenset({"pages_disagree"})
# fields that name the person (or the record) a document is about: pages that disagree on one are
# never joined (whichever of these a document type declares)
IDENTITY_FIELDS = ("patient_name", "deceased_name", "name", "record_number", "id_number",
                   "social_security_number", "certificate_number")
NAME_FIELDS = frozenset({"patient_name", "deceased_name", "name"})
MIN_SCORE = 2

# a line that is only a page marker: 第2页 | 第2页 共3页 | 第2页/共3页 | 共3页 第2页 | 2/3 | - 2 - | Page 2 of 3
_MARKERS = [
    re.compile(r"第(?P<k>\d{1,3})页(?:[/,，、]?共(?P<n>\d{1,3})页)?"),
    re.compile(r"共(?P<n>\d{1,3})页[/,，、]?第(?P<k>\d{1,3})页"),
    re.compile(r"(?:第)?(?P<k>\d{1,3})/(?P<n>\d{1,3})(?:页)?"),
    re.compile(r"[-－—–](?P<k>\d{1,3})[-－—–]"),
    re.compile(r"(?i)page(?P<k>\d{1,3})(?:of(?P<n>\d{1,3}))?"),
]
_TOTAL_ONLY = re.compile(r"共(?P<n>\d{1,3})页")
_SENTENCE_END = "。！？!?；;.）)」”\""
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]{1,2}[、.．]|\d{1,2}[.、．]|[(（]\d{1,2}[)）])")


@dataclass
class PageText:
    """What the merge stage needs of one page besides its documents: the page-level document
    (the one that holds the page's text; None when the page held cards only), its text lines
    (page pixels, reading order) and that document read as another type (`readings[type]`:
    the pipeline reads a page that may continue a document with that document's field rules)."""

    page: int
    doc: DocumentResult | None = None
    lines: list[TextLine] = field(default_factory=list)
    readings: dict[str, DocumentResult] = field(default_factory=dict)


def _sq(text) -> str:
    return unicodedata.normalize("NFKC", re.sub(r"[\s\u3000]+", "", str(text))).upper()


def page_marker(lines: list[TextLine]) -> tuple[int | None, int | None]:
    """(page number, page count) printed on a page, from a line that is only a page marker."""
    k = n = None
    for ln in lines:
        t = _sq(ln.text)
        if not t or len(t) > 14:
            continue
        for pat in _MARKERS:
            m = pat.fullmatch(t)
            if m:
                k = int(m.group("k"))
                n = int(m["n"]) if "n" in pat.groupindex and m["n"] else n
                break
        else:
            m = _TOTAL_ONLY.fullmatch(t)
            if m:
                n = int(m.group("n"))
    return k, n


def _is_marker(text: str) -> bool:
    t = _sq(text)
    return bool(t) and len(t) <= 14 and (any(p.fullmatch(t) for p in _MARKERS) or bool(_TOTAL_ONLY.fullmatch(t)))


def reading_wanted(prev_docs: list[DocumentResult], page_doc: DocumentResult | None,
                   doctypes: dict[str, DocType]) -> str | None:
    """The type to read a page's text as, when it may continue the document that ends the
    previous page: that document's type, if it continues over pages and the page did not
    already classify as it (only an `unknown` page is read again: a page that reads as another
    type is a document of its own)."""
    if page_doc is None or page_doc.type != "unknown" or not prev_docs:
        return None
    last = prev_docs[-1]
    dt = doctypes.get(last.type)
    return last.type if dt is not None and dt.continues_over_pages else None


# ------------------------------------------------------------------------------- the decision
@dataclass
class Decision:
    merge: bool
    evidence: list[str]
    reason: str = ""  # why not


def _norm(v) -> str:
    return _sq(v) if not isinstance(v, (list, dict)) else repr(v)


def _identity(dt: DocType) -> list[str]:
    return [f for f in IDENTITY_FIELDS if f in dt.fields]


def _header_values(doc: DocumentResult, dt: DocType) -> list[str]:
    vals = [_sq(doc.fields[f].value) for f in (*_identity(dt), "hospital", "institution") if f in doc.fields]
    return [v for v in vals if len(v) >= 2]


def _body_lines(text: PageText, doc: DocumentResult | None, dt: DocType) -> list[TextLine]:
    """The page's lines without page markers and without the running header (the first lines
    that repeat the hospital, the title or an identity value)."""
    lines = [l for l in text.lines if not _is_marker(l.text)]
    if doc is None:
        return lines
    heads = _header_values(doc, dt) + [_sq(t) for t in dt.classify.titles]
    k = 0
    for i, l in enumerate(lines[:8]):
        t = _sq(l.text)
        if any(h and h in t for h in heads):
            k = i + 1
    return lines[k:]


def _starts_with_label(text: str, dt: DocType) -> bool:
    t = _HEADING.sub("", _sq(text))
    labels = [_sq(x) for x in dt.all_labels() + dt.other_labels]
    return any(lab and t.startswith(lab) for lab in labels)


def _text_runs_on(prev: PageText, prev_doc: DocumentResult, cand: PageText, cand_doc: DocumentResult,
                  dt: DocType) -> bool:
    """The last body line of the previous page ends mid-sentence and the first body line of
    this page is no label or heading: a paragraph runs over the break."""
    a = _body_lines(prev, prev_doc, dt)
    b = _body_lines(cand, cand_doc, dt)
    if not a or not b:
        return False
    last, first = _sq(a[-1].text), _sq(b[0].text)
    if not last or not first or last[-1] in _SENTENCE_END:
        return False
    return not _starts_with_label(b[0].text, dt)


def decide(prev_doc: DocumentResult, prev_text: PageText, cand_doc: DocumentResult, cand_text: PageText,
           page_doc: DocumentResult, dt: DocType) -> Decision:
    """Does `cand_doc` (the next page read as `dt`) continue `prev_doc` (which ends the previous
    page)? `page_doc` is the next page's document as it classified on its own."""
    if page_doc.type not in ("unknown", dt.type):
        return Decision(False, [], f"the page reads as {page_doc.type}")
    ev: list[str] = []
    score = 0
    k, _ = page_marker(cand_text.lines)
    pk, pn = page_marker(prev_text.lines)
    if k is not None:
        if k <= 1:
            return Decision(False, [], "page marker 1: a new document")
        if pk is not None and pn is not None and pk >= pn:
            return Decision(False, [], f"previous page marked {pk} of {pn}: the last")
        if pk is not None and k != pk + 1:
            return Decision(False, [], f"page markers {pk} then {k}")
        ev.append(f"page_marker:{k}")
        score += 2
    elif pk is not None and pn is not None and pk >= pn:
        return Decision(False, [], f"previous page marked {pk} of {pn}: the last")
    # identity: never two people's documents
    same, differ = [], []
    for f in _identity(dt):
        a, b = prev_doc.fields.get(f), cand_doc.fields.get(f)
        if a is None or b is None:
            continue
        (same if _norm(a.value) == _norm(b.value) else differ).append(f)
    if any(f not in NAME_FIELDS for f in differ):
        return Decision(False, [], f"different {', '.join(differ)}")
    if differ and not same:
        return Decision(False, [], f"different {', '.join(differ)}")
    if same:
        ev.append("same:" + ",".join(same))
        score += 2
    req = dt.required_fields()
    own_missing = [r for r in req if r not in cand_doc.fields]
    if not own_missing and k is None:
        return Decision(False, [], "complete on its own, no page marker")
    if any(r in prev_doc.fields for r in own_missing):
        ev.append("incomplete_alone")
        score += 1
    fills = [f for f in cand_doc.fields if f not in prev_doc.fields]
    if fills:
        ev.append("fills:" + ",".join(fills))
        score += 1
    runs_on = _text_runs_on(prev_text, prev_doc, cand_text, cand_doc, dt)
    if runs_on:
        ev.append("text_runs_on")
        score += 1
    strong = k is not None or bool(same) or runs_on
    if score >= MIN_SCORE and strong:
        return Decision(True, ev)
    return Decision(False, ev, "not enough evidence")


# ------------------------------------------------------------------------------- the join
def _failing(f: FieldResult, failing: frozenset[str]) -> bool:
    return any(c in failing for c in f.checks)


def _line_index(text: PageText, bbox) -> list[int]:
    return [i for i, l in enumerate(text.lines) if _overlaps(l.bbox, bbox)]


def _cut_at_break(doc: DocumentResult, name: str, text: PageText, dt: DocType) -> bool:
    """Is field `name` the last thing on its page in reading order (after it only page markers,
    a seal's or a stamp's few characters)? Then it may run on to the next page."""
    f = doc.fields[name]
    if not f.bbox or not text.lines:
        return False
    idx = _line_index(text, f.bbox)
    if not idx:
        return False
    end = max(idx)
    for n, o in doc.fields.items():  # another field read after it on the same page
        if n != name and o.page == f.page and o.bbox and any(i > end for i in _line_index(text, o.bbox)):
            return False
    after = [l for l in text.lines[end + 1:] if not _is_marker(l.text)]
    return not any(_starts_with_label(l.text, dt) or len(_sq(l.text)) > 8 for l in after)


def _overlaps(a, b) -> bool:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return small > 0 and ix * iy / small > 0.5


def _leading_lines(text: PageText, doc: DocumentResult, dt: DocType) -> list[TextLine]:
    """The unlabeled lines that open a page after its running header, up to the first label or
    heading, that no field of `doc` was read from."""
    out = []
    for l in _body_lines(text, doc, dt):
        if _starts_with_label(l.text, dt):
            break
        if any(f.bbox and f.page == text.page and _overlaps(l.bbox, f.bbox) for f in doc.fields.values()):
            break
        out.append(l)
    return out


def _join_value(spec_type: str, f: FieldResult, more: list[str]) -> str:
    if spec_type == "diagnosis":
        from extract.fields.values import split_diagnoses

        raw = f.raw or ""
        numbered = bool(re.match(r"^\s*(?:[(（]?\d{1,2}[)）.、．,]|[\u2460-\u2473])", raw))
        parts = [raw] if numbered else str(f.value).split("；")
        return "；".join(split_diagnoses(parts + more))
    from extract.normalize import normalize_cn_text

    return str(f.value) + "".join(normalize_cn_text(m) or "" for m in more)


class _Merged:
    """A document being built from consecutive pages."""

    def __init__(self, doc: DocumentResult, text: PageText):
        self.doc = doc
        self.last_page = doc.page
        self.last_text = text
        self.joined = False


def _absorb(m: _Merged, cand: DocumentResult, cand_text: PageText, page_doc: DocumentResult, dt: DocType,
            failing: frozenset[str], evidence: list[str]) -> None:
    doc = m.doc
    p = cand_text.page
    if not m.joined:
        doc.pages = [doc.page]  # type: ignore[attr-defined]
        doc.regions = [{"page": doc.page, "region": doc.region}]  # type: ignore[attr-defined]
        doc.page_joins = []  # type: ignore[attr-defined]
        m.joined = True
    doc.pages.append(p)  # type: ignore[attr-defined]
    doc.regions.append({"page": p, "region": page_doc.region})  # type: ignore[attr-defined]
    doc.page_joins.append({"page": p, "read_as": page_doc.type, "evidence": evidence})  # type: ignore[attr-defined]
    # a multi-line value cut at the break runs on in the next page's first unlabeled lines
    for name, f in list(doc.fields.items()):
        spec = dt.fields.get(name)
        if spec is None or spec.multiline <= 1 or f.page != m.last_page or not isinstance(f.value, str):
            continue
        if not _cut_at_break(doc, name, m.last_text, dt):
            continue
        lead = _leading_lines(cand_text, cand, dt)[: max(0, spec.multiline - 1)]
        if not lead:
            continue
        f.value = _join_value(spec.type, f, [l.text for l in lead])
        f.raw = (f.raw or "") + "".join(l.text for l in lead)
        f.confidence = round(min(f.confidence, min(l.confidence for l in lead)), 4)
        f.pages = [f.page, p]  # type: ignore[attr-defined]
        f.bboxes = [{"page": f.page, "bbox": f.bbox}] + [{"page": p, "bbox": l.bbox} for l in lead]  # type: ignore[attr-defined]
        f.checks.append("joined_across_pages")
        break  # one value runs over a break
    for name, g in cand.fields.items():
        f = doc.fields.get(name)
        if f is None:
            doc.fields[name] = g
            continue
        if _norm(f.value) == _norm(g.value):
            pages = list(getattr(f, "pages", None) or [f.page])
            if g.page not in pages:
                f.pages = pages + [g.page]  # type: ignore[attr-defined]
            f.confidence = max(f.confidence, g.confidence) if not _failing(f, failing) else f.confidence
            continue
        fbad, gbad = _failing(f, failing), _failing(g, failing)
        if fbad != gbad:  # a reading that failed its own checks is no evidence against a clean one
            if fbad:
                doc.fields[name] = g
            continue
        keep, other = (f, g) if f.confidence >= g.confidence else (g, f)
        others = list(getattr(f, "other_pages", None) or [])
        others.append({"page": other.page, "value": other.value, "confidence": other.confidence, "bbox": other.bbox})
        keep.other_pages = others  # type: ignore[attr-defined]
        if "pages_disagree" not in keep.checks:
            keep.checks.append("pages_disagree")
        keep.confidence = min(keep.confidence, FAILING_CAP)
        doc.fields[name] = keep
    doc.confidence = max(doc.confidence, cand.confidence if page_doc.type == dt.type else 0.0)
    doc.warnings += [w for w in page_doc.warnings if w not in doc.warnings]
    if getattr(doc, "lines", None) is not None:  # the document's text lines, each with its page
        for l in doc.lines:  # type: ignore[attr-defined]
            if getattr(l, "page", None) is None:
                l.page = doc.page
        doc.lines = list(doc.lines) + [TextLine(text=l.text, confidence=l.confidence, bbox=l.bbox, page=p)  # type: ignore[attr-defined]
                                       for l in cand_text.lines]
    m.last_page = p
    m.last_text = cand_text


def _recheck(doc: DocumentResult, dt: DocType, failing: frozenset[str], threshold: float) -> None:
    """Cross-field checks on the merged fields (出院日期 on page 2 against 入院日期 on page 1),
    then `needs_review` again, as extract/verify.finalize_document decides it."""
    from extract.verify import _CHECKERS, _load_checkers, set_review

    _load_checkers()
    fn = _CHECKERS.get(dt.checks or "")
    if fn is not None:
        efs = {k: ExtractedField(f.value, f.raw or "", f.bbox, [], getattr(f, "source", "label") or "label",
                                 checks=list(f.checks)) for k, f in doc.fields.items()}
        try:
            fn(efs)
        except Exception:  # a checker that cannot take the merged fields leaves them as read
            efs = {}
        for k, ef in efs.items():
            f = doc.fields.get(k)
            if f is None:
                continue
            new = [c for c in dict.fromkeys(ef.checks) if c not in f.checks]
            f.checks.extend(new)
            if any(c in failing for c in new):
                f.confidence = min(f.confidence, FAILING_CAP)
    set_review(doc, dt, threshold, failing)


def merge_pages(docs: list[DocumentResult], pages: dict[int, PageText], doctypes: dict[str, DocType],
                threshold: float) -> list[DocumentResult]:
    """The documents of one file (in page order) with continuation pages joined to the document
    they continue. `pages`: per page number, its page-level document, lines and readings."""
    from extract.verify import failing_checks

    failing = failing_checks() | MERGE_FAILING_CHECKS
    by_page: dict[int, list[DocumentResult]] = {}
    for d in docs:
        by_page.setdefault(d.page, []).append(d)
    out: list[DocumentResult] = []
    merged: list[_Merged] = []
    open_: _Merged | None = None
    for p in sorted(by_page):
        page_docs = by_page[p]
        text = pages.get(p) or PageText(p)
        nxt: _Merged | None = None
        for i, d in enumerate(page_docs):
            if (i == 0 and open_ is not None and p == open_.last_page + 1 and text.doc is d
                    and len(page_docs) == 1):
                dt = doctypes[open_.doc.type]
                cand = d if d.type == dt.type else text.readings.get(dt.type)
                if cand is not None:
                    dec = decide(open_.doc, open_.last_text, cand, text, d, dt)
                    if dec.merge:
                        _absorb(open_, cand, text, d, dt, failing, dec.evidence)
                        nxt = open_
                        continue
            out.append(d)
            dt = doctypes.get(d.type)
            if dt is not None and dt.continues_over_pages and d is page_docs[-1] and d is text.doc:
                nxt = _Merged(d, text)
                merged.append(nxt)
            else:
                nxt = None
        open_ = nxt
    for m in merged:
        if m.joined:
            _recheck(m.doc, doctypes[m.doc.type], failing, threshold)
    return out
