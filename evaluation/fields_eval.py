"""Field-level evaluation of extraction results against generated truth.

Predicted documents are matched to truth documents of the same type on the same page by region
overlap; every truth field is then scored: exact match after the contract's normal forms,
missing, or wrong (and, if wrong, whether its confidence made it a "confident error").

A generated sample that runs over several pages (a long 出院记录: ``Sample.pages``) is read as
one multi-page file (`sample_input`) and scored against one truth document that holds the
fields of all its pages, each with the page it is printed on (as samples/pdfs.py writes it).
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

import cv2

from evaluation.metrics import CONFIDENT, FieldTally, ece, norm_value


def _iou(a, b) -> float:
    if not a or not b:
        return 0.0
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def sample_input(s) -> tuple[bytes, list[dict]]:
    """The file to read for a generated sample and its truth documents. One page: a PNG. Several
    pages (``s.pages``): a lossless multi-page TIFF of all of them (each page keeps its own
    pixels), and the document they share as one truth entry: ``page`` its first page, ``pages``
    all of them, every field with the ``page`` it is printed on (a field repeated in a running
    header keeps its first page)."""
    if not getattr(s, "pages", None):
        return cv2.imencode(".png", s.image)[1].tobytes(), s.truth["documents"]
    import io

    from PIL import Image

    imgs = [Image.fromarray(cv2.cvtColor(x.image, cv2.COLOR_BGR2RGB)) for x in [s, *s.pages]]
    buf = io.BytesIO()
    imgs[0].save(buf, format="TIFF", save_all=True, append_images=imgs[1:], compression="tiff_deflate")
    docs: list[dict] = []
    by_type: dict[str, dict] = {}
    for pno, page in enumerate([s, *s.pages], 1):
        for d in page.truth["documents"]:
            fields = {k: dict(f, page=pno) for k, f in d["fields"].items()}
            base = by_type.get(d["type"])
            if base is not None and (d.get("meta") or {}).get("parts", 1) > 1:  # a continuation page
                base["pages"].append(pno)
                for k, f in fields.items():
                    base["fields"].setdefault(k, f)
                continue
            nd = dict(d, page=pno, pages=[pno], fields=fields)
            docs.append(nd)
            by_type[d["type"]] = nd
    return buf.getvalue(), docs


def match_documents(pred_docs: list[dict], truth_docs: list[dict]) -> list[tuple[dict, dict | None]]:
    """(truth doc, predicted doc or None), greedy by type, then the same first page, then region
    IoU (regions of different pages are not comparable)."""
    used: set[int] = set()
    out = []
    for t in truth_docs:
        best, bi = None, -1.0
        for i, p in enumerate(pred_docs):
            if i in used or p.get("type") != t["type"]:
                continue
            same = p.get("page", 1) == t.get("page", 1)
            s = (1.0 + _iou(p.get("region"), t.get("region")) if same else 0.0) + 0.01
            if s > bi:
                best, bi = i, s
        if best is not None:
            used.add(best)
            out.append((t, pred_docs[best]))
        else:
            out.append((t, None))
    return out


@dataclass
class Report:
    by_kind: dict[str, FieldTally] = field(default_factory=dict)
    by_field: dict[str, FieldTally] = field(default_factory=dict)
    type_total: int = 0
    type_correct: int = 0
    seconds: dict[str, list[float]] = field(default_factory=dict)
    sides: dict[str, int] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)  # every wrong field, for inspection
    review_docs: int = 0
    docs: int = 0

    def all(self) -> FieldTally:
        t = FieldTally()
        for v in self.by_kind.values():
            t.merge(v)
        return t


def evaluate(pipe, kinds: list[str], seed: int, per_kind: int, generate, only_types: set[str] | None = None) -> Report:
    rep = Report()
    for kind in kinds:
        tally = rep.by_kind.setdefault(kind, FieldTally())
        for i in range(per_kind):
            s = generate(kind, seed, i)
            data, truth_docs = sample_input(s)
            t0 = time.perf_counter()
            res = pipe.extract_bytes(data, f"{kind}-{seed}-{i}.png").to_json_dict()
            dt = time.perf_counter() - t0
            truth_docs = [d for d in truth_docs if only_types is None or d["type"] in only_types]
            rep.seconds.setdefault(kind, []).append(dt / max(1, len(truth_docs)))
            for t, p in match_documents(res["documents"], truth_docs):
                rep.type_total += 1
                rep.docs += 1
                if p is not None:
                    rep.type_correct += 1
                    rep.review_docs += bool(p.get("needs_review"))
                for fname, tf in t["fields"].items():
                    pf = (p or {}).get("fields", {}).get(fname)
                    ft = rep.by_field.setdefault(f"{t['type']}.{fname}", FieldTally())
                    ok = tally.add(tf["value"], pf)
                    ft.add(tf["value"], pf)
                    if not ok:
                        rep.errors.append(
                            {
                                "kind": kind,
                                "index": i,
                                "field": f"{t['type']}.{fname}",
                                "truth": norm_value(tf["value"]),
                                "got": norm_value(pf.get("value")) if pf else None,
                                "confidence": pf.get("confidence") if pf else None,
                                "confident": bool(pf and pf.get("confidence", 0) >= CONFIDENT),
                            }
                        )
    return rep


def markdown(rep: Report) -> str:
    lines = [
        "| kind | fields | exact-match | missing | confident errors | wrong but flagged | median s per card side |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, t in rep.by_kind.items():
        med = statistics.median(rep.seconds.get(kind) or [0])
        lines.append(
            f"| {kind} | {t.total} | {t.accuracy:.2%} | {t.missing} | {t.confident_errors} ({t.confident_error_rate:.2%}) "
            f"| {t.flagged_wrong} | {med:.2f} |"
        )
    a = rep.all()
    allsec = [x for v in rep.seconds.values() for x in v]
    lines.append(
        f"| **all** | {a.total} | {a.accuracy:.2%} | {a.missing} | {a.confident_errors} ({a.confident_error_rate:.2%}) "
        f"| {a.flagged_wrong} | {statistics.median(allsec or [0]):.2f} |"
    )
    lines.append("")
    lines.append(f"document found with the right type: {rep.type_correct}/{rep.type_total}; "
                 f"documents sent to review: {rep.review_docs}/{rep.docs}; ECE: {ece(a.pairs):.4f}")
    lines.append("")
    lines.append("| field | n | exact-match | confident errors | ECE |")
    lines.append("|---|---|---|---|---|")
    for f, t in sorted(rep.by_field.items()):
        lines.append(f"| {f} | {t.total} | {t.accuracy:.2%} | {t.confident_errors} | {ece(t.pairs):.3f} |")
    return "\n".join(lines)
