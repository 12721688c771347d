"""The pipeline: input -> pages -> regions/orientation -> OCR -> document type -> fields ->
checks -> pages merged (a document printed over several pages: extract/merge.py) ->
(cross-check) -> result.

Each stage is a small function called per page or per region and timed into
`result.timings`; any failure of a page becomes an itemised error and the run is marked
partial, never a crash. One Pipeline holds one OCR engine (load it once per process).
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from extract import pages as P
from extract import seals
from extract.classify import classify_lines
from extract.confidence import ENGINE
from extract.fields import get_extractor
from extract.inputs import InputLimits, Page, load_bytes
from extract.layout import cluster_lines, is_slanted, reading_order, split_columns, typical_height
from extract.merge import PageText, merge_pages, reading_wanted
from extract.reread import _ink_mask as ink_mask_of, ink_ratio, reread_box, unread_ink
from extract.verify import WATERMARK_WORDS, finalize_document, link_documents
from ocr import OcrEngine, OcrLine, OcrOptions, create_engine
from ocr.base import EngineUnavailable
from schemas.doctypes import load_doctypes
from schemas.result import REVIEW_THRESHOLD, DocumentResult, ErrorItem, ExtractionResult, TextLine

log = logging.getLogger("matex.pipeline")

CARD_TYPES = ["id_card_front", "id_card_back", "social_security_card", "bank_card"]
CARD_WIDTH = 1012  # card crops are warped to this width (ID-1 at ~300 dpi)
# a card crop read as fewer lines than this is detected again at BLURRED_CARD_SIDE (every card
# type prints at least four lines)
BLURRED_CARD_LINES = 4
BLURRED_CARD_SIDE = 480


@dataclass
class PipelineOptions:
    ocr: OcrOptions = field(default_factory=OcrOptions)
    limits: InputLimits = field(default_factory=InputLimits)
    extractor: str = "rules"
    review_threshold: float = REVIEW_THRESHOLD
    find_cards: bool = True
    include_lines: bool = False  # every document carries its OCR lines (always for `unknown`)
    debug: bool = False  # fields carry their pre-calibration score (for scripts/calibrate.py)
    # the longer side the text detector sees a whole page at (cards keep the engine's own 960):
    # a page's print is small, and found more completely when the detector does not shrink
    # the page below its own resolution (a smaller page is not enlarged)
    page_det_side: int = 1600


@dataclass
class View:
    """A part of a page as the extractor sees it: upright, deskewed, perspective-corrected."""

    image: np.ndarray
    H: np.ndarray  # 3x3, page pixels -> view pixels
    kind: str  # card | page
    region: list[float]  # page pixels
    rotation: int = 0


def _affine3(M: np.ndarray) -> np.ndarray:
    return np.vstack([np.asarray(M, dtype=np.float64), [0.0, 0.0, 1.0]])


# text outside the found cards worth reading the page for: this share of the page (inner 90%),
# or this share of the found cards' own ink (copier specks and a watermark's strokes outside two
# found cards stay under a third of their print; a card not found beside one found, near its
# print)
INK_OUTSIDE_PAGE = 0.01
INK_OUTSIDE_CARDS = 0.5
# the band, as a share of a card's shorter side, around a found card that `_ink_outside`
# does not count (half of it outside the outline)
CARD_BAND = 0.12


def _card_shaped(img: np.ndarray) -> bool:
    """Has the image an ID-1 card's aspect (85.6 x 54 mm, 1.585), lying level (a card stood
    on its side is left to the page reading, which turns it)?"""
    h, w = img.shape[:2]
    return 1.45 <= w / max(1, h) <= 1.75


def _rot180(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = img.shape[:2]
    M = np.array([[-1.0, 0.0, w - 1.0], [0.0, -1.0, h - 1.0], [0.0, 0.0, 1.0]])
    return cv2.rotate(img, cv2.ROTATE_180), M


class Timer:
    def __init__(self):
        self.t: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.t[stage] = round(self.t.get(stage, 0.0) + time.perf_counter() - t0, 4)


class Pipeline:
    def __init__(self, options: PipelineOptions | None = None, engine: OcrEngine | None = None):
        self.options = options or PipelineOptions()
        self._engine = engine
        self.extractor = get_extractor(self.options.extractor)
        self.doctypes = load_doctypes()

    @property
    def engine(self) -> OcrEngine:
        if self._engine is None:
            self._engine = create_engine(self.options.ocr)
        return self._engine

    # ---------------------------------------------------------------- entry points
    def extract_path(self, path: str | Path) -> ExtractionResult:
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            return ExtractionResult(
                source=p.name, sha256="", errors=[ErrorItem(code="file_unreadable", message=f"{p}: {exc.strerror or exc}")]
            )
        return self.extract_bytes(data, source=p.name)

    def extract_bytes(self, data: bytes, source: str = "upload") -> ExtractionResult:
        timer = Timer()
        t0 = time.perf_counter()
        ENGINE.set(self.options.ocr.kind)  # confidence calibration is per engine
        res = ExtractionResult(source=source, sha256=hashlib.sha256(data).hexdigest())
        with timer("input"):
            loaded = load_bytes(data, self.options.limits)
        res.pages = loaded.page_count
        it = loaded.pages()
        texts: dict[int, PageText] = {}  # per page: what the merge stage needs of its text
        prev_docs: list[DocumentResult] = []
        while True:
            with timer("input"):
                try:
                    page = next(it)
                except StopIteration:
                    break
                except Exception as exc:  # a reader failing mid-file: keep what we have
                    loaded.errors.append(ErrorItem(code="page_unreadable", message=f"reading stopped: {exc}"))
                    break
            keep: dict = {}
            try:
                docs = self.process_page(page, timer, keep)
                res.documents.extend(docs)
                try:
                    texts[page.number] = self._page_text(page.number, docs, keep, prev_docs, timer)
                except Exception:  # the page stays as read, it only cannot be joined to another
                    log.exception("page %s of %s: no text kept for the merge stage", page.number, source)
                prev_docs = docs
            except EngineUnavailable:
                raise
            except Exception as exc:
                log.exception("page %s of %s failed", page.number, source)
                res.errors.append(
                    ErrorItem(code="page_failed", message=f"page {page.number}: {type(exc).__name__}: {exc}", page=page.number)
                )
                prev_docs = []
        with timer("merge"):  # a document printed over several pages becomes one document
            try:
                res.documents = merge_pages(res.documents, texts, self.doctypes, self.options.review_threshold)
            except Exception:  # the documents stay as read page by page
                log.exception("merging the pages of %s failed", source)
        with timer("checks"):
            link_documents(res.documents, self.options.review_threshold)
        res.errors[:0] = loaded.errors
        res.timings = {**timer.t, "total": round(time.perf_counter() - t0, 4)}  # type: ignore[attr-defined]
        res.engine = self.options.ocr.kind  # type: ignore[attr-defined]
        # informative items (a page rendered at a lower DPI, a text layer OCR'd instead) leave
        # the result whole; any other error with documents means something was not read
        res.partial = bool(res.documents) and any(e.code not in INFORMATIVE_ERRORS for e in res.errors)  # type: ignore[attr-defined]
        return res

    # ---------------------------------------------------------------- stages
    def process_page(self, page: Page, timer: Timer, keep: dict | None = None) -> list[DocumentResult]:
        """The documents of one page. `keep` (optional) receives, under "page", the page-level
        document with the view and OCR lines it was read from (for the merge stage)."""
        keep = {} if keep is None else keep
        img = page.image
        with timer("prepare"):
            warnings = P.quality_warnings(img) if page.text_lines is None else []
        if page.text_lines is not None:  # PDF text layer: no OCR, no geometry to fix
            h, w = img.shape[:2]
            view = View(img, np.eye(3), "page", [0.0, 0.0, float(w), float(h)])
            doc = self._document(view, page.text_lines, page.number, warnings, timer, allowed=None)
            keep["page"] = (doc, view, page.text_lines, warnings)
            if _completeness(doc, self.doctypes) >= 1.0:
                return [doc]
            # handwriting, signatures and stamps are in the image only: OCR the page and add
            # the lines the text layer does not have
            with timer("ocr"):
                ocr_lines = self.engine.recognize(img, self._det_side(img, "page"))
            extra = [l for l in ocr_lines if not any(_overlap(l.bbox, t.bbox) > 0.3 for t in page.text_lines)]
            if not extra:
                return [doc]
            doc2 = self._document(view, page.text_lines + extra, page.number, warnings, timer, allowed=None)
            doc2.text_layer = "partial: OCR added for what the text layer lacks"  # type: ignore[attr-defined]
            if _completeness(doc2, self.doctypes) >= _completeness(doc, self.doctypes):
                keep["page"] = (doc2, view, page.text_lines + extra, warnings)
                return [doc2]
            return [doc]

        docs: list[DocumentResult] = []
        card_masks: list[np.ndarray] = []
        if self.options.find_cards:
            with timer("regions"):
                regions = P.find_card_regions(img)
            for reg in regions:
                quad = np.asarray(reg.quad, dtype=np.float32).reshape(4, 2)
                with timer("regions"):
                    crop, Hm, _ = P.warp_quad(img, quad, out_width=CARD_WIDTH)
                    view = View(crop, np.asarray(Hm, dtype=np.float64), "card", [float(v) for v in reg.bbox])
                lines, view = self._ocr_oriented(view, timer)
                if _runs_down(lines):
                    # a card's print runs along its long side: an outline whose crop holds text
                    # standing on end is a piece of a card found across it (a sheet's edge under
                    # a card taken for the card's); the page reading places the card by its text
                    continue
                if _cut_at_sides(lines, view.image.shape[1]):
                    # the outline found runs through the text (a rule or the photo's edge taken
                    # for the card's): the card reaches further; widen the crop and read again
                    quad = _widened(quad, CUT_GROW)
                    with timer("regions"):
                        crop, Hm, _ = P.warp_quad(img, quad, out_width=CARD_WIDTH)
                        view = View(crop, np.asarray(Hm, dtype=np.float64), "card", [float(v) for v in reg.bbox])
                    lines, view = self._ocr_oriented(view, timer)
                doc = self._document(view, lines, page.number, warnings, timer, allowed=CARD_TYPES)
                if _form_labels(lines, self.doctypes) >= FORM_LABELS:
                    # a card-sized document of another type (a disability card: 证号, 类别, 等级
                    # beside its holder's 姓名 … 住址), read with every type allowed
                    other = self._document(view, lines, page.number, warnings, timer, allowed=None)
                    if other.type not in CARD_TYPES and _read_whole(other, self.doctypes):
                        doc = other
                if not reg.whole_image and doc.type in CARD_TYPES:
                    doc, quad = self._to_card_aspect(img, quad, doc, view, page.number, warnings, timer)
                if self._whole_card(doc) and not (
                    (_cut_from_form(doc, self.doctypes) or _thinly_read(doc, self.doctypes))
                    and self._ink_outside(img, [np.asarray(r.quad, np.float32) for r in regions])
                ):
                    docs.append(doc)
                    card_masks.append(quad)
        if not docs and self.options.find_cards and regions and _card_shaped(img):
            # an image that is itself a card (a crop) whose outline search went astray (a
            # design stripe or a fold taken for an edge, the found part rejected): the whole
            # image read as the card, before the page reading cuts it into text blocks
            h, w = img.shape[:2]
            quad = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
            with timer("regions"):
                crop, Hm, _ = P.warp_quad(img, quad, out_width=CARD_WIDTH)
            view = View(crop, np.asarray(Hm, dtype=np.float64), "card", [0.0, 0.0, float(w), float(h)])
            lines, view = self._ocr_oriented(view, timer)
            doc = self._document(view, lines, page.number, warnings, timer, allowed=CARD_TYPES)
            if self._whole_card(doc):
                return [doc]
        if docs and not self._ink_outside(img, card_masks):
            return docs
        # the rest of the page (cards masked out), read as a page
        with timer("prepare"):
            work = img.copy()
            for q in card_masks:
                cv2.fillConvexPoly(work, q.astype(np.int32), (255, 255, 255))
            view = self._page_view(work)
        lines, view = self._ocr_oriented(view, timer)
        if _runs_down(lines):
            # the blob shapes took the page for level (a card's guilloche, a masked card's
            # edges), yet its lines were detected standing: a quarter turn, and read again
            with timer("prepare"):
                img2, M = P.rotate90(view.image, 1)
                view = View(img2, _affine3(M) @ view.H, view.kind, view.region, view.rotation)
            lines, view = self._ocr_oriented(view, timer)
        with timer("ocr"):
            lines = self._comb_rows(view.image, lines)
        rest: list[OcrLine] = []
        for group in cluster_lines(lines):
            for part in self._card_parts(view, lines, group):
                block = [lines[i] for i in part]
                doc = self._card_from_text(img, view, block, page.number, warnings, timer)
                if doc is not None:
                    docs.append(doc)
                else:
                    rest.extend(block)
        # a watermark printed across a copy of cards is no document of its own
        ref_h = typical_height(lines)
        if not docs or any(not is_slanted(l, ref_h=ref_h) for l in rest):
            docs.append(self._document(view, rest, page.number, warnings, timer, allowed=None, alone=not docs))
            keep["page"] = (docs[-1], view, rest, warnings)
        return _dedupe(docs, self.doctypes)

    def _page_text(self, page_no: int, docs: list[DocumentResult], keep: dict, prev_docs: list[DocumentResult],
                   timer: Timer) -> PageText:
        """What the merge stage needs of a page: its page-level document's lines (page pixels,
        reading order) and, when the page may continue the document that ends the previous
        page, its lines read with that document's type (an `unknown` page 2 of a 出院记录)."""
        kept = keep.get("page")
        if kept is None or not any(d is kept[0] for d in docs):
            return PageText(page_no)
        doc, view, lines, warnings = kept
        Hinv = np.linalg.inv(view.H)
        text = PageText(page_no, doc, [
            TextLine(text=l.text, confidence=round(l.confidence, 4), bbox=_round(P.map_bbox(Hinv, l.bbox)))
            for l in (lines[i] for i in reading_order(lines))
        ])
        as_type = reading_wanted(prev_docs, doc, self.doctypes)
        if as_type is not None:
            text.readings[as_type] = self._document(view, lines, page_no, warnings, timer, allowed=None, force_type=as_type)
        return text

    def _card_from_text(self, img, view: View, block: list[OcrLine], page_no, warnings, timer) -> DocumentResult | None:
        """A block of text that reads as a card although no card edge was found (dark or busy
        background, faint copy): estimate the card from the text's own geometry, then read
        it as a card."""
        cls = classify_lines(block)
        if cls.type not in CARD_TYPES and not self._reads_turned(view.image, block):
            return None
        if _form_labels(block, self.doctypes) >= FORM_LABELS:
            # the holder's rows of a larger document (a disability booklet's 姓名 … 公民身份号码
            # beside its 证号, 类别, 等级): a card prints none of those other labels
            return None
        pts = np.array([p for l in block for p in l.polygon], dtype=np.float32)
        (cx, cy), (w, h), ang = cv2.minAreaRect(pts)
        if h > w:
            w, h, ang = h, w, ang + 90
        # text covers ~87% of a card's width and ~84% of its height (ID-1 layouts)
        W = max(w / 0.87, h / 0.84 * 1.585)
        Hc = W / 1.585
        quad_view = _order_quad(cv2.boxPoints(((cx, cy), (W, Hc), ang)).astype(np.float32))
        quad = np.asarray(P.map_points(np.linalg.inv(view.H), quad_view), dtype=np.float32).reshape(4, 2)
        doc, cview, clines = self._read_card_quad(img, quad, page_no, warnings, timer)
        sx, sy = _cut_side(clines, cview.image.shape)
        if (sx or sy) and _checks_fail(doc, self.doctypes):
            # the text's own extent put the card short of its print (a row the page reading
            # lost: an ID number under a watermark, a name under a stamp), and a value fails its
            # check: the card reaches further on the side its print runs into; read it again
            # so, keep the better reading
            if cview.rotation % 360 == 180:
                sx, sy = -sx, -sy
            doc2, _, _ = self._read_card_quad(img, _extended(quad, CUT_EXTEND, sx, sy), page_no, warnings, timer)
            if _check_score(doc2, self.doctypes) > _check_score(doc, self.doctypes):
                doc = doc2
        # as for a card found by its edges: half its required fields, or it is a piece of one
        # (a label whose value a stamp hid, cut off from its card's other lines)
        if not self._whole_card(doc):
            return None
        doc.warnings.append("card_edges_not_found")
        return doc

    def _to_card_aspect(self, img, quad: np.ndarray, doc: DocumentResult, view: View, page_no, warnings, timer):
        """An outline longer for its height than a card (an edge found along a row of the card's
        print, the rest of the card beyond it) whose reading misses or fails a value: the
        outline made a card's height on the side where those values are printed (their
        template rows), and read again; the reading with more values passing is kept."""
        q = np.asarray(quad, dtype=np.float32).reshape(4, 2)
        long = (np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])) / 2
        short = (np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2
        if short <= 0 or long / short <= CARD_TOO_LONG or not _checks_fail(doc, self.doctypes):
            return doc, quad
        rows = _failing_rows(doc, self.doctypes)
        if not rows:
            return doc, quad
        sy = 1 if sum(rows) / len(rows) > 0.5 else -1
        if view.rotation % 360 == 180:
            sy = -sy
        quad2 = _extended(q, (long / ID1_ASPECT - short) / short, 0, sy)
        doc2, _, _ = self._read_card_quad(img, quad2, page_no, warnings, timer)
        if _check_score(doc2, self.doctypes) > _check_score(doc, self.doctypes):
            return doc2, quad2
        return doc, quad

    def _read_card_quad(self, img, quad: np.ndarray, page_no, warnings, timer):
        """A card placed by a quad on the page: warped, read upright, read as a card."""
        with timer("regions"):
            crop, Hm, _ = P.warp_quad(img, quad, out_width=CARD_WIDTH)
        x0, y0 = quad.min(axis=0)
        x1, y1 = quad.max(axis=0)
        cview = View(crop, np.asarray(Hm, dtype=np.float64), "card", [float(x0), float(y0), float(x1), float(y1)])
        clines, cview = self._ocr_oriented(cview, timer)
        return self._document(cview, clines, page_no, warnings, timer, allowed=CARD_TYPES), cview, clines

    def _whole_card(self, doc: DocumentResult) -> bool:
        """Does a card view's document read as a card: a card type, half its required fields
        at least, and the print of a card (not a piece of one: a label whose value a stamp hid)?"""
        return doc.type != "unknown" and _completeness(doc, self.doctypes) >= 0.5 and _reads_as_card(doc, self.doctypes)

    def _card_parts(self, view: View, lines: list[OcrLine], group: list[int]) -> list[list[int]]:
        """A block cut into side-by-side parts when at least two of them look like cards (the two
        sides of an ID card copied next to each other, one of them perhaps upside down);
        otherwise the block as it is."""
        parts = split_columns(lines, group)
        if len(parts) >= 2:
            cards = 0
            for part in parts:
                block = [lines[i] for i in part]
                if classify_lines(block).type in CARD_TYPES or self._reads_turned(view.image, block):
                    cards += 1
            return parts if cards >= 2 else [group]
        parts = split_columns(lines, group, across=True)
        if len(parts) >= 2:
            # one above the other: cut only where the parts are the two different sides of a
            # card (a card's own rows may lie far apart: its number row under a photo)
            types = [classify_lines([lines[i] for i in part]).type for part in parts]
            sides = [t for t in types if t in CARD_TYPES]
            if len(sides) >= 2 and len(set(sides)) == len(sides):
                return parts
        return self._split_turned(view, lines, group)

    def _split_turned(self, view: View, lines: list[OcrLine], group: list[int]) -> list[list[int]]:
        """A card's block holding lines that read better turned half round beside lines that
        read well as they lie (the two sides of an ID card copied one above the other, one
        upside down): the two sets of lines, each its own part. Otherwise the block whole."""
        block = [lines[i] for i in group]
        if classify_lines(block).type not in CARD_TYPES:
            return [group]
        ref_h = typical_height(block)
        low = [i for i in group if lines[i].confidence < 0.9 and not is_slanted(lines[i], ref_h=ref_h)]
        if len(low) < 3:
            return [group]
        pairs = [(i, c) for i in low for c in _turned_crops(view.image, [lines[i]])]
        read = self.engine.recognize_lines([c for _, c in pairs]) if pairs else []
        turned = [i for (i, _), r in zip(pairs, read) if r.confidence > lines[i].confidence + 0.1]
        upright = [i for i in group if i not in turned]
        if len(turned) < 3 or len(upright) < 3:
            return [group]
        return [upright, turned]

    def _comb_rows(self, image: np.ndarray, lines: list[OcrLine]) -> list[OcrLine]:
        """Digits printed one per box (a form's 公民身份号码 comb) are detected as a row of short
        pieces, and a piece lost leaves a number too short: a row of four or more such pieces
        is recognised again as one line over their whole width, and that line replaces them
        when it reads at least as many digits, surely."""
        def piece(l: OcrLine) -> bool:
            t = l.text.replace(" ", "")
            return bool(t) and bool(_COMB_PIECE.fullmatch(t)) and sum(c.isdigit() for c in t) <= 6

        idx = [i for i, l in enumerate(lines) if piece(l)]
        rows: list[list[int]] = []
        for i in sorted(idx, key=lambda i: lines[i].bbox[0]):
            b = lines[i].bbox
            h = b[3] - b[1]
            for row in rows:
                r = lines[row[-1]].bbox
                same = min(b[3], r[3]) - max(b[1], r[1]) > 0.6 * min(h, r[3] - r[1])
                if same and b[0] - r[2] < 1.5 * max(h, r[3] - r[1]):
                    row.append(i)
                    break
            else:
                rows.append([i])
        drop: set[int] = set()
        added: list[OcrLine] = []
        H, W = image.shape[:2]
        for row in rows:
            digits = sum(c.isdigit() for i in row for c in lines[i].text)
            if len(row) < 4 or digits < 8:
                continue
            x0 = min(lines[i].bbox[0] for i in row)
            y0 = min(lines[i].bbox[1] for i in row)
            x1 = max(lines[i].bbox[2] for i in row)
            y1 = max(lines[i].bbox[3] for i in row)
            pad = 0.15 * (y1 - y0)
            box = [max(0.0, x0 - pad), max(0.0, y0), min(float(W), x1 + pad), min(float(H), y1)]
            crop = image[int(box[1]) : int(box[3]), int(box[0]) : int(box[2])]
            if crop.size == 0:
                continue
            read = self.engine.recognize_lines([crop])
            if not read:
                continue
            line = read[0]
            if line.confidence < 0.8 or sum(c.isdigit() for c in line.text) < digits:
                continue
            line.polygon = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
            drop.update(row)
            added.append(line)
        if not added:
            return lines
        return [l for i, l in enumerate(lines) if i not in drop] + added

    def _reads_turned(self, image: np.ndarray, block: list[OcrLine]) -> bool:
        """Does a poorly read block read clearly better turned half round (one card of a copy
        lying upside down beside an upright one)?"""
        if len(block) < 2 or _text_score(block) >= 0.85:
            return False
        ref_h = typical_height(block)
        sample = _widest([l for l in block if not is_slanted(l, ref_h=ref_h)], 6)
        crops = _turned_crops(image, sample)
        if not crops:
            return False
        return _text_score(self.engine.recognize_lines(crops)) > _text_score(sample) + 0.1

    def _ink_outside(self, img: np.ndarray, quads: list[np.ndarray]) -> bool:
        """Is there a noticeable amount of text on the page outside the found cards: a share
        of the page (:data:`INK_OUTSIDE_PAGE`), or as much as :data:`INK_OUTSIDE_CARDS` of
        the found cards' own print? A card's sparse print (an ID card's back, faintly copied)
        covers under a percent of an A4 page: beside a found card, it is ink of that card's
        order."""
        small = cv2.resize(img, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
        g = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        ink = cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 25)
        h, w = ink.shape
        m = int(0.05 * min(h, w))
        inside = np.zeros_like(ink)
        for q in quads:
            cv2.fillConvexPoly(inside, (np.asarray(q, dtype=np.float32).reshape(4, 2) * 0.25).astype(np.int32), 255)
        card_ink = float(((ink > 0) & (inside > 0))[m : h - m, m : w - m].mean())
        for q in quads:
            qs = (np.asarray(q, dtype=np.float32).reshape(4, 2) * 0.25).astype(np.int32)
            cv2.fillConvexPoly(ink, qs, 0)
            # and a band around it: the card's own edge, rounded corners and shadow lie just
            # outside the outline found (a photo's card on a dark table is no text beside it)
            short = min(float(np.linalg.norm(qs[0] - qs[1])), float(np.linalg.norm(qs[1] - qs[2])))
            cv2.polylines(ink, [qs], True, 0, thickness=max(2, int(CARD_BAND * short)))
        # margins are often copier noise: ignore a 5% border
        outside = float((ink[m : h - m, m : w - m] > 0).mean())
        return outside > INK_OUTSIDE_PAGE or (card_ink > 0 and outside > INK_OUTSIDE_CARDS * card_ink)

    def _page_view(self, img: np.ndarray) -> View:
        h, w = img.shape[:2]
        H = np.eye(3)
        # a photographed sheet: warp its outline to a rectangle (keystone, background cut away)
        quad = P.find_page_quad(img)
        if quad is not None:
            ow, oh = P.page_warp_size(quad)
            img, Hm, _ = P.warp_quad(img, quad, out_width=ow, out_height=oh)
            H = np.asarray(Hm, dtype=np.float64) @ H
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        if P.text_orientation(gray) == "vertical" and not self._reads_across(img):
            img, M = P.rotate90(img, 1)
            H = _affine3(M) @ H
            gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        angle = P.estimate_skew(gray)
        if abs(angle) > 0.8:
            img, M = P.deskew(img, angle)
            H = _affine3(M) @ H
        return View(img, H, "page", [0.0, 0.0, float(w), float(h)])

    def _reads_across(self, img: np.ndarray) -> bool:
        """Does the page, as it lies, read as lines running left to right? A second opinion,
        from the OCR itself, before a quarter turn that the blob shapes ask for: a textured
        background (guilloche, paper grain) can make a level card's blobs look vertical.
        Lines running across and reading well upright or upside down (the page at 0 or 180
        degrees: the half turn is decided later) veto the quarter turn."""
        lines = self.engine.recognize(img)
        chars = sum(len(l.text) for l in lines)
        across = sum(len(l.text) for l in lines if (l.bbox[2] - l.bbox[0]) > 1.5 * (l.bbox[3] - l.bbox[1]))
        if chars < 12 or across < 0.8 * chars:
            return False
        if _text_score(lines) >= 0.85:
            return True
        crops = _turned_crops(img, _widest(lines, 8))
        return bool(crops) and _text_score(self.engine.recognize_lines(crops)) >= 0.85

    def _det_side(self, image: np.ndarray, kind: str) -> int | None:
        if kind != "page":
            return None
        return max(960, min(int(self.options.page_det_side), max(image.shape[:2])))

    def _ocr_oriented(self, view: View, timer: Timer) -> tuple[list[OcrLine], View]:
        """OCR a view; if it reads better upside down, turn it and OCR again."""
        side = self._det_side(view.image, view.kind)
        with timer("ocr"):
            clean = seals.remove_seals(view.image)
            # the engine's line orientation classifier turns an upside-down view before its
            # lines are recognised (the reading check below stays as the second opinion)
            lines, verdict = self.engine.recognize_upright(clean, side)
            if verdict.turned:
                img2, M = _rot180(view.image)
                view = View(img2, M @ view.H, view.kind, view.region, (view.rotation + 180) % 360)
                clean = cv2.rotate(clean, cv2.ROTATE_180)
            if view.kind == "card" and len(lines) < BLURRED_CARD_LINES:
                # a blurred or low-resolution card: its strokes run together at the detector's
                # size; seen smaller, its lines stand apart
                small = self.engine.recognize(clean, BLURRED_CARD_SIDE)
                if _text_mass(small) > 1.3 * _text_mass(lines):
                    lines, side = small, BLURRED_CARD_SIDE
        score0 = _text_score(lines)
        if (score0 >= 0.93 or verdict.clear) and len(lines) >= 2:
            return lines, view
        with timer("orientation"):
            sample = _widest(lines, 6)
            if not sample:
                return lines, view
            crops = _turned_crops(view.image, sample)
            flipped = self.engine.recognize_lines(crops) if crops else []
            s0 = _text_score(sample)
            s180 = _text_score(flipped)
        if s180 > s0 + 0.05:
            img2, M = _rot180(view.image)
            view = View(img2, M @ view.H, view.kind, view.region, (view.rotation + 180) % 360)
            with timer("ocr"):
                lines = self.engine.recognize(seals.remove_seals(view.image), side)
        return lines, view

    def _beside_labels(self, view: View, dt, lines: list[OcrLine], fields: dict, cut: bool = True) -> dict:
        """A label read on its own with its value missing (a signature over a seal, a value the
        detector lost in a stamp or a watermark): recognise the ink right of the label directly.
        What is found so is never sure (`reread_beside_label` weighs against it). `cut`: flag
        one-line values that run on into unread ink (pages)."""
        h, w = view.image.shape[:2]
        extra: list[OcrLine] = []
        for fname, spec in dt.fields.items():
            have = fields.get(fname)
            if (have is not None and spec.multiline <= 1) or not spec.labels or spec.collect:
                continue
            names = {_bare(x) for x in spec.labels}
            for l in lines:
                if _bare(l.text) not in names:
                    continue
                lh = l.bbox[3] - l.bbox[1]
                if have is not None and not _first_line_lost(have, l, lines, w):
                    break
                # a card's values are short, and a photo may lie beside them
                reach = 10 * lh if cut else 6 * lh
                box = [l.bbox[2], l.bbox[1] - 0.4 * lh, min(w, l.bbox[2] + reach), l.bbox[3] + 0.4 * lh]
                image = view.image
                if dt.printed_ink == "black":  # a red watermark or seal across the value: without it
                    image = seals.suppress_colored_ink(image, [box])
                extra += [_to_characters(x) for x in reread_box(self.engine, image, box, lines + extra)]
                break
        if not extra:
            if cut:
                _cut_off(view.image, lines, fields)
            return fields
        fields2 = _extract_fields(self.extractor, dt, lines + extra, (w, h), view.image)
        if any(n not in fields2 for n in fields):  # a field lost to the new lines: keep the first reading
            return fields
        for f in fields2.values():
            if f.bbox and any(_intersect(l.bbox, f.bbox) for l in extra):
                f.checks.append("reread_beside_label")
        if cut:
            _cut_off(view.image, lines + extra, fields2)
        return fields2

    def _without_colored_ink(self, view: View, dt, fields: dict, timer: Timer) -> dict:
        """A page with a required value missing, a table result unread or a value that may be
        incomplete, and coloured ink on it (a rectangular 与原件一致 stamp across the values,
        too large and square for a seal; a note in blue pen): read again with the coloured ink
        whitened, and take from that reading what the first one lacks. Only that: a signature
        in blue ink is lost without its colour."""
        holes = {n: _rows_unread(fields[n]) for n in fields if _rows_unread(fields[n])}
        cut = {n for n, f in fields.items() if "value_may_be_incomplete" in f.checks}
        if not holes and not cut and not any(spec.required and n not in fields for n, spec in dt.fields.items()):
            return fields
        if seals.colored_ink_share(view.image) <= PAGE_INK_SHARE:
            return fields
        clean = seals.suppress_colored_ink(view.image)
        with timer("ocr"):
            lines2 = self.engine.recognize(clean, self._det_side(clean, view.kind))
        h, w = view.image.shape[:2]
        fields2 = _extract_fields(self.extractor, dt, lines2, (w, h), clean)
        _cut_off(view.image, lines2, fields2)  # the coloured ink there is no print (see _cut_off)
        # a missing value; a table whose rows (as many or more) have fewer unread results; a
        # value that ran on into unread ink (a pen's 与原件一致 across it), read whole and as long
        found = {
            n: f for n, f in fields2.items() if n not in fields or (
                n in holes and len(f.value) >= len(fields[n].value) and _rows_unread(f) < holes[n]) or (
                n in cut and isinstance(f.value, str) and _read_further(fields[n].value, f))
        }
        for f in found.values():
            f.checks.append("read_without_colored_ink")
        for n, f in fields.items():
            # the same print read twice, two values: neither reading is sure (1939年11月7 and
            # 1939年1127 for a faded 1939年11月27日)
            g = fields2.get(n)
            if n not in found and g is not None and isinstance(f.value, str) and isinstance(g.value, str) \
                    and f.value != g.value and "readings_differ" not in f.checks:
                f.checks.append("readings_differ")
        return {**fields, **found}

    def _lines_not_detected(self, view: View, dt, lines: list[OcrLine], fields: dict, timer: Timer) -> dict:
        """A page with :data:`UNDETECTED_MISSING` or more of its labelled fields missing (a
        photographed sheet whose fill-in sentence the detector passed over beside a seal): the
        bands of ink across the page that no line covers, recognised directly; a band read as
        text (:data:`UNDETECTED_MIN_CHARS` characters or more, read at
        :data:`UNDETECTED_MIN_CONF` or more) joins the lines, and the fields then found that were
        missing are taken, with `reread`. Only those: a value already read stays as it was."""
        missing = [n for n, spec in dt.fields.items() if spec.labels and spec.type != "table" and n not in fields]
        if len(missing) < UNDETECTED_MISSING:
            return fields
        h, w = view.image.shape[:2]
        with timer("ocr"):
            extra = [l for l in reread_box(self.engine, view.image, [0, 0, w, h], lines)
                     if len(_bare(l.text)) >= UNDETECTED_MIN_CHARS and l.confidence >= UNDETECTED_MIN_CONF]
        if not extra:
            return fields
        fields2 = _extract_fields(self.extractor, dt, lines + extra, (w, h), view.image)
        found = {n: f for n, f in fields2.items() if n not in fields}
        for f in found.values():
            f.checks.append("reread")
        return {**fields, **found}

    def _second_look(self, view: View, dt, lines: list[OcrLine], fields: dict) -> tuple[dict, list[OcrLine]]:
        """Re-read template boxes of missing values and of multi-line values by recognition
        alone; flag a multi-line value with unread ink right under it as maybe incomplete.
        Returns the fields and the lines with those read again."""
        h, w = view.image.shape[:2]
        extra: list[OcrLine] = []
        for fname, spec in dt.fields.items():
            if not spec.template:
                continue
            names = spec.split or [fname]
            if all(n in fields for n in names) and spec.multiline <= 1:
                continue
            t = spec.template
            extra += reread_box(self.engine, view.image, [t[0] * w, t[1] * h, t[2] * w, t[3] * h], lines + extra)
        if any(spec.required and spec.pattern and not spec.template and n not in fields for n, spec in dt.fields.items()):
            # a value found by its pattern anywhere on the card (a bank card's number) that the
            # detector lost (a stamp across it): the card's unread rows of print, recognised
            extra += reread_box(self.engine, view.image, [0, 0, w, h], lines + extra)
        if extra:
            lines = lines + extra
            fields = _extract_fields(self.extractor, dt, lines, (w, h), view.image)
            for f in fields.values():
                if f.bbox and any(_inside(l.bbox, f.bbox) for l in extra):
                    f.checks.append("reread")
        fields = self._number_row_again(view, dt, lines, fields)
        fields = self._card_number_again(view, dt, lines, fields)
        for fname, spec in dt.fields.items():
            f = fields.get(fname)
            if f is None or not spec.template or not f.bbox or f.source == "derived":
                continue
            t = spec.template
            box = [t[0] * w, t[1] * h, t[2] * w, t[3] * h]
            if unread_ink(view.image, box, [l.bbox for l in lines]) > 0.008:
                f.checks.append("value_may_be_incomplete")  # ink in the value's box that no line read
        heights = sorted(l.bbox[3] - l.bbox[1] for l in lines) or [20.0]
        lh = heights[len(heights) // 2]
        for fname, spec in dt.fields.items():
            f = fields.get(fname)
            if f is None or spec.multiline <= 1 or not spec.template or not f.bbox:
                continue
            t = spec.template
            below = [t[0] * w, f.bbox[3] + 0.2 * lh, t[2] * w, min(t[3] * h, f.bbox[3] + 1.3 * lh)]
            if below[3] - below[1] > 0.5 * lh and ink_ratio(view.image, below) > 0.03 and not any(
                _inside(l.bbox, below) for l in lines
            ):
                f.checks.append("value_may_be_incomplete")
        return fields, lines

    def _number_row_again(self, view: View, dt, lines: list[OcrLine], fields: dict) -> dict:
        """An ID number read short or not at all on a card (a watermark or a stamp over part of
        its row: the detector stopped at it): its row, the template's width, recognised again
        as one line, as it is and with paler ink whitened (:data:`NUMBER_ROW_DARK`). A reading
        is taken only when it is a whole number whose check digit holds; it replaces the row's
        pieces, and the value carries `reread`."""
        from extract.checks.idnumber import normalize_id_number, validate
        from extract.reread import _darkest_ink

        h, w = view.image.shape[:2]
        for fname, spec in dt.fields.items():
            if spec.type != "id_number" or not spec.template:
                continue
            f = fields.get(fname)
            if f is not None and (validate(normalize_id_number(str(f.value)) or "").ok or f.source == "derived"):
                continue
            t = spec.template
            if f is not None and f.bbox:
                lh = f.bbox[3] - f.bbox[1]
                y0, y1 = f.bbox[1] - 0.25 * lh, f.bbox[3] + 0.25 * lh
            else:
                y0, y1 = t[1] * h, t[3] * h
            box = [max(0.0, t[0] * w), max(0.0, y0), min(float(w), t[2] * w), min(float(h), y1)]
            crop = view.image[int(box[1]) : int(box[3]), int(box[0]) : int(box[2])]
            if crop.size == 0 or box[3] - box[1] < 8:
                continue
            variants = [crop] + [_darkest_ink(crop, k) for k in NUMBER_ROW_DARK]
            best = None
            for line in self.engine.recognize_lines(variants):
                m = _WHOLE_NUMBER.search(re.sub(r"[\s·.,:;`•˙‧∙’‘]", "", line.text))
                if m and validate(m.group()).ok and (best is None or line.confidence > best.confidence):
                    best = line
            if best is None:
                continue
            best.polygon = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
            # the row's pieces give way to the whole reading (labels left of the box stay)
            kept = [l for l in lines if not (_inside(l.bbox, box) and _COMB_PIECE.search(l.text))]
            fields2 = _extract_fields(self.extractor, dt, kept + [best], (w, h), view.image)
            f2 = fields2.get(fname)
            if f2 is None or any(n not in fields2 for n in fields if n != fname):
                continue
            if not validate(normalize_id_number(str(f2.value)) or "").ok:
                continue
            f2.checks.append("reread")
            fields = dict(fields)
            fields[fname] = f2
        return fields

    def _card_number_again(self, view: View, dt, lines: list[OcrLine], fields: dict) -> dict:
        """A bank card's number not read whole (embossed light digits on a dark card: the first
        group lost, a 2 read as c): the row of the lines that hold its digits recognised again as
        one line across the card, as it is, in negative and with paler ink whitened. A reading is
        taken only when two of those looks read the same card number, its Luhn check holds and
        it begins as a card of its length does;
        it replaces the row's pieces, and the value carries `reread`."""
        from extract.checks.records import issuer_known, luhn_ok
        from extract.reread import _darkest_ink

        def whole(number: str) -> bool:
            return luhn_ok(number) and issuer_known(number)

        for fname, spec in dt.fields.items():
            if spec.type != "bank_card_number" or not spec.pattern:
                continue
            f = fields.get(fname)
            if f is not None and whole(re.sub(r"\D", "", str(f.value))):
                continue
            row = [l for l in lines if len(re.findall(r"\d", l.text)) >= 6]
            if not row:
                continue
            anchor = max(row, key=lambda l: len(re.findall(r"\d", l.text)))
            lh = anchor.bbox[3] - anchor.bbox[1]
            h, w = view.image.shape[:2]
            box = [0.0, max(0.0, anchor.bbox[1] - 0.25 * lh), float(w), min(float(h), anchor.bbox[3] + 0.25 * lh)]
            crop = view.image[int(box[1]) : int(box[3]), :]
            if crop.size == 0 or box[3] - box[1] < 8:
                continue
            variants = [crop, 255 - crop] + [_darkest_ink(crop, k) for k in NUMBER_ROW_DARK]
            pat = re.compile(spec.pattern)
            read: dict[str, list[OcrLine]] = {}
            for line in self.engine.recognize_lines(variants):
                m = pat.search(re.sub(r"[\s·.,:;`•˙‧∙’‘]", "", line.text))
                if m and whole(m.group()):
                    read.setdefault(m.group(), []).append(line)
            # two looks at least read the same number: one reading of several that happens to
            # pass a Luhn check (one wrong number in ten does) is no reading
            agreed = [ls for ls in read.values() if len(ls) >= 2]
            if len(agreed) != 1:
                continue
            best = max(agreed[0], key=lambda l: l.confidence)
            best.polygon = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
            kept = [l for l in lines if not (_inside(l.bbox, box) and _COMB_PIECE.search(l.text))]
            fields2 = _extract_fields(self.extractor, dt, kept + [best], (w, h), view.image)
            f2 = fields2.get(fname)
            if f2 is None or not whole(re.sub(r"\D", "", str(f2.value))):
                continue
            f2.checks.append("reread")
            fields = {**fields, fname: f2}
        return fields

    def _document(
        self, view: View, lines: list[OcrLine], page_no: int, warnings: list[str], timer: Timer, allowed: list[str] | None,
        force_type: str | None = None, alone: bool = False,
    ) -> DocumentResult:
        with timer("classify"):
            cls = classify_lines(lines, allowed=allowed)
        lead = max(cls.scores.items(), key=lambda kv: kv[1], default=("unknown", 0.0))
        if cls.type == "unknown" and force_type is None and (alone or view.kind == "card") and lead[1] > 0 \
                and seals.colored_ink_share(view.image) > INK_SHARE:
            # a stamp in coloured ink over what tells the document (a bank card's number): read
            # without the ink; `alone`: the view's whole text is this document's (nothing else
            # was found on the page). The type must be the one the first reading leaned to:
            # without its coloured print (残疾人证 in red) half a booklet may pass for a card
            with timer("ocr"):
                clean = seals.suppress_colored_ink(view.image)
                lines2 = self.engine.recognize(clean, self._det_side(clean, view.kind))
                cls2 = classify_lines(lines2, allowed=allowed)
            if cls2.type == lead[0]:
                view, lines, cls = View(clean, view.H, view.kind, view.region, view.rotation), lines2, cls2
        if force_type is not None:  # read as the document this page continues (merge stage)
            cls.type, cls.confidence = force_type, 0.5
        doc = DocumentResult(type=cls.type, page=page_no, region=[round(v, 1) for v in view.region], confidence=cls.confidence)
        doc.warnings = list(warnings)
        if view.kind == "card":
            doc.warnings += [w for w in P.quality_warnings(view.image) if w not in doc.warnings and w != "too_small"]
        Hinv = np.linalg.inv(view.H)
        if cls.type == "unknown" or self.options.include_lines:
            doc.lines = [  # type: ignore[attr-defined]
                TextLine(text=l.text, confidence=round(l.confidence, 4), bbox=_round(P.map_bbox(Hinv, l.bbox)))
                for l in (lines[i] for i in reading_order(lines))
            ]
        if cls.type == "unknown":
            doc.needs_review = True
            return doc
        dt = self.doctypes[cls.type]
        if view.kind == "card" and dt.printed_ink == "black":
            h, w = view.image.shape[:2]
            boxes = [[t[0] * w, t[1] * h, t[2] * w, t[3] * h] for t in (s.template for s in dt.fields.values()) if t]
            if boxes and seals.colored_ink_share(view.image, boxes) > INK_SHARE:
                with timer("ocr"):  # a seal or a note in coloured ink over the values: read without it
                    clean = seals.suppress_colored_ink(view.image, boxes)
                    lines2 = self.engine.recognize(clean)
                # whitening the ink also thins the print under it: keep the reading that
                # recognises more of the values, and more surely; the ink stays whitened for
                # what looks at the image again (re-reads, unread ink)
                view = View(clean, view.H, view.kind, view.region, view.rotation)
                if _value_mass(lines2, boxes) >= _value_mass(lines, boxes):
                    lines = lines2
        with timer("fields"):
            h, w = view.image.shape[:2]
            fields = _extract_fields(self.extractor, dt, lines, (w, h), view.image)
        if dt.layout == "card":
            with timer("reread"):
                fields, seen = self._second_look(view, dt, lines, fields)
                if any(n not in fields for n, spec in dt.fields.items() if spec.required and spec.labels):
                    # what the look beside the labels adds: the fields it found and those its
                    # new lines changed; the rest stay as the second look read them (a value
                    # from a template re-read, with its `reread`)
                    again = self._beside_labels(view, dt, seen, fields, cut=False)
                    fields = {**fields, **{n: f for n, f in again.items()
                                           if n not in fields or "reread_beside_label" in f.checks}}
                # a card number whose last digits a stamp hid: what was read may pass its Luhn
                # check all the same (one time in ten); characters right after it say it ran on
                _cut_off(view.image, lines, {n: f for n, f in fields.items() if n in dt.fields and dt.fields[n].type in CUT_NUMBERS})
        else:
            with timer("reread"):
                fields = self._beside_labels(view, dt, lines, fields)
                fields = self._without_colored_ink(view, dt, fields, timer)
                fields = self._lines_not_detected(view, dt, lines, fields, timer)
        with timer("checks"):
            finalize_document(doc, dt, fields, page_no, lambda b: _round(P.map_bbox(Hinv, b)), self.options.review_threshold, self.options.debug)
        # how the document lies on the page: the angle of its text baseline, clockwise
        a, b = P.map_points(Hinv, [[0.0, 0.0], [100.0, 0.0]])
        angle = float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0]))) % 360
        doc.rotation = int(round(angle / 90.0)) % 4 * 90  # type: ignore[attr-defined]
        return doc


# card values without a check that catches a lost end: the number of a card (16 to 19 digits)
CUT_NUMBERS = frozenset({"bank_card_number"})
# a piece of a row of digits printed one per box: digits, the boxes' sides read as |, a space
_COMB_PIECE = re.compile(r"[0-9Xx|丨｜]+")
ID1_ASPECT = 1.585
CARD_TOO_LONG = 1.72  # an outline this much longer than high is short of a card's height (ID-1: 1.585)
CUT_EXTEND = 0.2  # a card placed by its text with a failing value at a side it runs into: extended there by this share
CUT_GROW = 0.08  # a card crop cut through its text is widened by this share of its width each side
# a card's ID-number row read again with ink paler than its darkest strokes by these shares of
# the way to the paper whitened (a grey watermark or a stamp over the digits)
NUMBER_ROW_DARK = (0.15, 0.3)
_WHOLE_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")


def _cut_at_sides(lines: list[OcrLine], width: int) -> bool:
    """Do two or more lines start (or end) right at the crop's left (or right) edge, as text cut
    off by a crop does? A card's print keeps a margin."""
    m = 0.025 * width
    left = sum(1 for l in lines if l.bbox[0] <= m and len(l.text) >= 2)
    right = sum(1 for l in lines if l.bbox[2] >= width - m and len(l.text) >= 2)
    return left >= 2 or right >= 2


def _cut_side(lines: list[OcrLine], shape) -> tuple[int, int]:
    """The sides of a crop (of `shape`) that lines of text run into (its margin, as in
    :func:`_cut_at_sides`): across -1 left, 1 right; down -1 top, 1 bottom; 0 neither (or
    both)."""
    h, w = shape[:2]
    mx, my = 0.025 * w, 0.025 * h
    ref_h = typical_height(lines)  # a watermark's slanted words are no print of the card
    text = [l for l in lines if len(l.text) >= 2 and not is_slanted(l, ref_h=ref_h)]
    left, right = any(l.bbox[0] <= mx for l in text), any(l.bbox[2] >= w - mx for l in text)
    top, bottom = any(l.bbox[1] <= my for l in text), any(l.bbox[3] >= h - my for l in text)
    return (0 if left == right else (-1 if left else 1)), (0 if top == bottom else (-1 if top else 1))


def _extended(quad: np.ndarray, k: float, sx: int, sy: int = 0) -> np.ndarray:
    """The quad (TL, TR, BR, BL) longer by `k` of its length at one end of its long sides (the
    right, sx 1, or the left, sx -1) and of its short sides (the bottom, sy 1, or the top,
    sy -1)."""
    q = np.asarray(quad, dtype=np.float32).reshape(4, 2).copy()
    # along the long sides (TL to TR, BL to BR), then along the short ones (TL to BL, TR to BR)
    for side, ends in ((sx, ((0, 1), (3, 2))), (sy, ((0, 3), (1, 2)))):
        for a, b in ends if side else ():
            d = q[b] - q[a]
            if side > 0:
                q[b] += k * d
            else:
                q[a] -= k * d
    return q


def _failing(doc: DocumentResult, doctypes) -> int:
    """How many of a document's required fields are missing or fail a check."""
    from extract.verify import failing_checks

    bad = failing_checks()
    req = doctypes[doc.type].required_fields() if doc.type in doctypes else []
    return sum(1 for r in req if r not in doc.fields or bad.intersection(doc.fields[r].checks))


def _checks_fail(doc: DocumentResult, doctypes) -> bool:
    return doc.type in doctypes and _failing(doc, doctypes) > 0


def _failing_rows(doc: DocumentResult, doctypes) -> list[float]:
    """Where on the card (the share of its height, from its top) the required values that are
    missing or fail a check are printed, by their templates."""
    from extract.verify import failing_checks

    bad = failing_checks()
    dt = doctypes[doc.type]
    rows = []
    for name, spec in dt.fields.items():
        if not spec.required or not spec.template:
            continue
        names = spec.split or [name]
        if any(n not in doc.fields or bad.intersection(doc.fields[n].checks) for n in names):
            rows.append((spec.template[1] + spec.template[3]) / 2)
    return rows


def _check_score(doc: DocumentResult, doctypes) -> tuple:
    """Required fields read that pass their checks, then found at all, then surely (which of
    two readings of one card to keep)."""
    if doc.type not in doctypes:
        return (-1, 0, 0.0)
    req = doctypes[doc.type].required_fields()
    n = sum(1 for r in req if r in doc.fields)
    conf = sum(f.confidence for f in doc.fields.values()) / max(1, len(doc.fields))
    return (n - _failing(doc, doctypes), n, conf)


def _runs_down(lines: list[OcrLine]) -> bool:
    """Were most of a page's characters read from lines standing on end (boxes at least 1.5
    times as tall as wide: the recogniser turns those itself), as a page lying a quarter turn
    off gives them? (The mirror of :meth:`Pipeline._reads_across`.)"""
    chars = sum(len(l.text) for l in lines)
    down = sum(len(l.text) for l in lines if (l.bbox[3] - l.bbox[1]) > 1.5 * (l.bbox[2] - l.bbox[0]))
    return chars >= 12 and down >= 0.8 * chars


def _widened(quad: np.ndarray, k: float) -> np.ndarray:
    """The quad (TL, TR, BR, BL) longer by `k` of its length at each end of its long sides."""
    return _extended(_extended(quad, k, -1), k / (1 + k), 1)


def _widest(lines: list[OcrLine], n: int) -> list[OcrLine]:
    return sorted(lines, key=lambda l: -(l.bbox[2] - l.bbox[0]))[:n]


def _turned_crops(image: np.ndarray, lines: list[OcrLine]) -> list[np.ndarray]:
    """The lines' crops turned half round (does the text read better upside down?)."""
    crops = []
    for l in lines:
        x0, y0, x1, y1 = (int(round(v)) for v in l.bbox)
        c = image[max(0, y0) : y1, max(0, x0) : x1]
        if c.size:
            crops.append(cv2.rotate(c, cv2.ROTATE_180))
    return crops


def _to_characters(line: OcrLine) -> OcrLine:
    """A re-read band's line narrowed to where its characters were read (a band runs on over
    a seal or a rule; the line is where the text is)."""
    pos = line.char_positions or []
    x0, y0, x1, y1 = line.bbox
    if not pos or x1 <= x0:
        return line
    half = 0.6 * (y1 - y0)
    a = max(x0, x0 + min(pos) * (x1 - x0) - half)
    b = min(x1, x0 + max(pos) * (x1 - x0) + half)
    if b - a < 4:
        return line
    line.polygon = [(a, y0), (b, y0), (b, y1), (a, y1)]
    return line


def _bare(text: str) -> str:
    """A label as printed, without spaces and a trailing colon."""
    return "".join(ch for ch in text if not ch.isspace()).rstrip(":：")


INFORMATIVE_ERRORS = frozenset({"page_downscaled", "pdf_text_layer_skipped"})
INK_SHARE = 0.005  # coloured ink over this share of a black-printed card's value boxes is read around
# a page with a value or a table cell unread: coloured ink over this share of it is read around
# (a few words of 与原件相符 in blue pen across a table take 0.3% of a page: under INK_SHARE)
PAGE_INK_SHARE = 0.001
# a page with this many of its labelled fields missing has its undetected lines read
# (Pipeline._lines_not_detected); such a line counts with this many characters, this sure
UNDETECTED_MISSING = 2
UNDETECTED_MIN_CHARS = 4
UNDETECTED_MIN_CONF = 0.8
FORM_LABELS = 2  # a block of text with this many lines labelled as no card labels its print is no card


def _inside(a, b) -> bool:
    """Is the centre of box a inside box b?"""
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def _cut_off(image: np.ndarray, lines: list[OcrLine], fields: dict) -> None:
    """A one-line value on a page with characters right after its end that no line read (the
    detector stopped short of them): `value_may_be_incomplete`. Rules and stamps are not
    characters: only blobs of about a character's size count."""
    h, w = image.shape[:2]
    for f in fields.values():
        if not f.bbox or f.source == "derived" or not isinstance(f.value, str):
            continue
        x0, y0, x1, y1 = f.bbox
        lh = y1 - y0
        # lines of about the text's size (a watermark or a stamp read across the row is not)
        near = [l for l in lines if (l.bbox[3] - l.bbox[1]) <= 2.0 * lh]
        row = [l for l in near if _intersect(l.bbox, f.bbox)]
        if not row or lh <= 4 or lh > 1.6 * min(l.bbox[3] - l.bbox[1] for l in row):
            continue  # several lines (a paragraph): what is right of it is another column
        a, b = int(x1 + 0.15 * lh), int(min(w, x1 + 2.5 * lh))
        c, d = int(max(0, y0)), int(min(h, y1))
        if b - a < 0.5 * lh or d - c < 4:
            continue
        gray = cv2.cvtColor(image[c:d, a:b], cv2.COLOR_BGR2GRAY)
        m = ink_mask_of(gray)
        m[seals.colored_ink_mask(image[c:d, a:b])] = 0  # a seal's or a pen's ink is no print
        for l in near:
            lx0, ly0, lx1, ly1 = (int(round(v)) for v in l.bbox)
            m[max(0, ly0 - c) : max(0, ly1 - c), max(0, lx0 - a) : max(0, lx1 - a)] = 0
        n, _, st, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        chars = sum(
            int(st[i, 4]) for i in range(1, n)
            if st[i, 4] >= 25 and min(st[i, 2], st[i, 3]) >= 3 and st[i, 3] <= 1.2 * lh and st[i, 2] <= 1.5 * lh
            and st[i, 1] > 0 and st[i, 1] + st[i, 3] < m.shape[0]  # inside the row, not crossing it
        )
        if chars > 0.04 * m.size and "value_may_be_incomplete" not in f.checks:
            f.checks.append("value_may_be_incomplete")


def _intersect(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


# checks that say a value is not the kind of thing its field holds (another cell's text), as
# opposed to checks that catch a misread character (a check digit, a validity length)
ALIEN_CHECKS = frozenset({"name_length_unusual", "ethnicity_unknown", "place_unrecognised", "date_invalid",
                          "pattern_mismatch", "watermark_words"})


def _own_required(doc: DocumentResult, doctypes) -> list:
    """A document's required fields as read, without those filled from the ID number (its
    birth date and sex are no evidence of the card's own print)."""
    req = doctypes[doc.type].required_fields() if doc.type in doctypes else []
    return [doc.fields[r] for r in req if r in doc.fields and "derived_from_id_number" not in doc.fields[r].checks]


def _read_further(first, f) -> bool:
    """Does a second reading `f` of a value that ran on into unread ink read it whole (not
    flagged and as long), or read on past it (longer, holding the first reading)?"""
    first = str(first)
    if "value_may_be_incomplete" not in f.checks and len(f.value) >= len(first):
        return True
    return len(f.value) > len(first) and first in f.value


def _first_line_lost(f, label: OcrLine, lines: list[OcrLine], width: float) -> bool:
    """Does a multi-line value start below its label's row, nothing read right of the label (its
    first line lost under a watermark: 户籍地址, then only 营村114号 on the row under it)?"""
    lb = label.bbox
    lh = max(1.0, lb[3] - lb[1])
    if not f.bbox or f.bbox[1] < lb[1] + 0.6 * lh or f.bbox[1] > lb[3] + 1.5 * lh:
        return False
    return not any(
        l is not label and l.bbox[0] >= lb[2] - 0.5 * lh and l.bbox[0] < min(width, lb[2] + 10 * lh)
        and min(l.bbox[3], lb[3]) - max(l.bbox[1], lb[1]) > 0.5 * lh and l.bbox[3] - l.bbox[1] < 2.5 * lh
        for l in lines)


def _rows_unread(f) -> int:
    """How many cells of a table field (a list of dicts with a "result") were not read: rows
    without a result, and rows without a reference range in a table whose other rows mostly
    print one (a seal's ring across the γ-GT row's 10-60 lost it)."""
    if not isinstance(f.value, list):
        return 0
    rows = [it for it in f.value if isinstance(it, dict) and "result" in it]
    n = sum(1 for it in rows if not str(it["result"]).strip())
    ranged = sum(1 for it in rows if str(it.get("reference_range", "")).strip())
    if rows and ranged >= 0.75 * len(rows):
        n += len(rows) - ranged
    return n


def _form_labels(block: list[OcrLine], doctypes) -> int:
    """How many of a block's lines are labels that only documents other than cards print
    (证号, 类别, 等级, 科室…): a line that is such a label, or starts with one of two or more
    characters."""
    card = {_bare(x) for t in CARD_TYPES for spec in doctypes[t].fields.values() for x in spec.labels}
    card |= {_bare(x) for t in CARD_TYPES for x in doctypes[t].other_labels}
    other = {
        _bare(x) for name, dt in doctypes.items() if name not in CARD_TYPES
        for spec in dt.fields.values() for x in spec.labels
    } - card
    n = 0
    for l in block:
        t = _bare(l.text)
        if t in other or any(len(x) >= 2 and t.startswith(x) and not t.startswith(tuple(card)) for x in other):
            n += 1
    return n


def _read_whole(doc: DocumentResult, doctypes) -> bool:
    """Were all of a document's required values read from its own print (none filled from a
    number), and are they of the right kind? A card-sized document (a disability card) holds
    them all; a card-shaped piece of a booklet (its value column, the labels on the other
    half) does not."""
    req = doctypes[doc.type].required_fields() if doc.type in doctypes else []
    own = [doc.fields[r] for r in req if r in doc.fields and doc.fields[r].source != "derived"]
    return bool(req) and len(own) == len(req) and _reads_as_card(doc, doctypes)


def _reads_as_card(doc: DocumentResult, doctypes) -> bool:
    """Does what was read hold a card's kind of values? A card-shaped part of a form's grid (the
    lower half of a household register) is classified as a card by the number it holds, but
    its "name", "ethnicity" and "address" are other cells' text: two or more of its own
    required values (not those filled from the number), and half of them, of the wrong kind."""
    own = _own_required(doc, doctypes)
    alien = sum(1 for f in own if ALIEN_CHECKS.intersection(f.checks))
    return not (alien >= 2 and alien >= 0.5 * len(own))


def _cut_from_form(doc: DocumentResult, doctypes) -> bool:
    """Do two or more of a card's own required values, and half of them, run on past the crop's
    edge (`value_may_be_incomplete`)? A card-shaped cell cut out of a larger form (a death
    certificate's 民族 / 身份证号 rows), when the page has more print around it."""
    own = _own_required(doc, doctypes)
    cut = sum(1 for f in own if "value_may_be_incomplete" in f.checks)
    return cut >= 2 and cut >= 0.5 * len(own)


def _thinly_read(doc: DocumentResult, doctypes) -> bool:
    """Was less than half of a card's required print read from the card itself (values filled
    from the ID number not counted)? With the number and one neighbouring cell (民族 汉族), a
    card-shaped cell of a form reaches half its fields only through what the number gives."""
    req = doctypes[doc.type].required_fields() if doc.type in doctypes else []
    return bool(req) and len(_own_required(doc, doctypes)) < 0.5 * len(req)


def _completeness(doc: DocumentResult, doctypes) -> float:
    req = doctypes[doc.type].required_fields() if doc.type in doctypes else []
    if not req:
        return 1.0
    return sum(1 for r in req if r in doc.fields) / len(req)


def _overlap(a, b) -> float:
    """Intersection over the smaller box."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / small if small > 0 else 0.0


def _dedupe(docs: list[DocumentResult], doctypes) -> list[DocumentResult]:
    """One document per place: of two same-type documents over the same region, keep the
    more complete and more confident reading."""

    def quality(d: DocumentResult) -> tuple:
        n = len(d.fields)
        conf = sum(f.confidence for f in d.fields.values()) / n if n else 0.0
        return (_completeness(d, doctypes), conf)

    keep: list[DocumentResult] = []
    for d in sorted(docs, key=quality, reverse=True):
        if d.type != "unknown" and any(
            k.type == d.type and k.region and d.region and _overlap(k.region, d.region) > 0.5 for k in keep
        ):
            continue
        keep.append(d)
    return sorted(keep, key=lambda d: (d.region or [0, 0])[1])


def _order_quad(q: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL with the long side horizontal (the text's own reading direction)."""
    c = q.mean(axis=0)
    ang = np.arctan2(q[:, 1] - c[1], q[:, 0] - c[0])
    q = q[np.argsort(ang)]  # clockwise in image coordinates, starting near -180°
    # start at the corner that is top-left in the rectangle's own frame: smallest x+y
    k = int(np.argmin(q[:, 0] + q[:, 1]))
    q = np.roll(q, -k, axis=0)
    if np.linalg.norm(q[1] - q[0]) < np.linalg.norm(q[3] - q[0]):
        q = np.roll(q, -1, axis=0)
    return q


def _takes_image(extractor) -> bool:
    import inspect

    try:
        return "image" in inspect.signature(extractor.extract).parameters
    except (TypeError, ValueError):
        return False


def _extract_fields(extractor, dt, lines, size, image):
    """Call a field extractor, giving it the view image (red seals, ruling lines) when it
    takes one (decided once per extractor, not per document)."""
    takes = getattr(extractor, "_matex_takes_image", None)
    if takes is None:
        takes = _takes_image(extractor)
        try:
            extractor._matex_takes_image = takes
        except AttributeError:
            pass
    if takes:
        return extractor.extract(dt, lines, size, image=image)
    return extractor.extract(dt, lines, size)


def _round(b) -> list[float]:
    return [round(float(v), 1) for v in b]


def _text_mass(lines) -> float:
    return sum(l.confidence * len(l.text) for l in lines)


def _value_mass(lines, boxes) -> float:
    """Characters read inside value boxes, weighed by the recogniser's confidence; the words
    of a watermark (复印无效) are no value."""
    return sum(
        l.confidence * len(l.text)
        for l in lines
        if any(_inside(l.bbox, b) for b in boxes) and not WATERMARK_WORDS.search(l.text)
    )


def _text_score(lines) -> float:
    tot = sum(len(l.text) for l in lines)
    if not tot:
        return 0.0
    return sum(l.confidence * len(l.text) for l in lines) / tot


# A process-wide pipeline per engine kind, for CLIs and workers (one model load per process).
_PIPELINES: dict[str, Pipeline] = {}


def get_pipeline(options: PipelineOptions | None = None) -> Pipeline:
    options = options or PipelineOptions()
    key = f"{options.ocr.kind}/{options.extractor}"
    if key not in _PIPELINES:
        _PIPELINES[key] = Pipeline(options)
    return _PIPELINES[key]


def extract_paths(paths, options: PipelineOptions | None = None):
    """Yield one ExtractionResult per path, sharing one model load."""
    pipe = get_pipeline(options)
    for p in paths:
        yield pipe.extract_path(p)
