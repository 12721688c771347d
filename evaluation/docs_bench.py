"""Medical and civil-status documents: field accuracy per type on clean and degraded pages,
lab-report rows fully correct, document-type accuracy, seconds per page.
Seed 1000+ is the evaluation seed: never used while tuning.

matex bench docs --seed 1000 --per-kind 10
"""
from __future__ import annotations

import statistics
import time
from collections import defaultdict

from evaluation.fields_eval import match_documents, sample_input
from evaluation.metrics import CONFIDENT, FieldTally, ece, norm_value
from schemas.result import DOCUMENT_TYPES

TYPES = [t for t in DOCUMENT_TYPES if not t.startswith("id_card") and t != "unknown"]


def _item_key(it: dict) -> tuple:
    return tuple(norm_value(it.get(k, "")) for k in ("name", "result", "unit", "reference_range", "flag"))


def _wrong_field(kind: str, i: int, fname: str, truth, pf: dict | None) -> str:
    """One line per wrong field (`--show-errors`); for a list (lab items), the rows that differ."""
    conf = f"{pf.get('confidence', 0):.3f}" if pf else "-"
    mark = " CONFIDENT" if pf and pf.get("confidence", 0) >= CONFIDENT else ""
    if isinstance(truth, list):
        got = [_item_key(it) for it in ((pf or {}).get("value") or [])]
        want = [_item_key(it) for it in truth]
        missing = [k for k in want if k not in got]
        extra = [k for k in got if k not in want]
        head = f"  {kind} #{i} {fname}: conf {conf}{mark}"
        if not missing and not extra:
            # the five scored keys agree: show the rows whose other keys (the code) differ
            full = lambda it: tuple(sorted((k, norm_value(v)) for k, v in it.items()))  # noqa: E731
            got_f = [full(it) for it in ((pf or {}).get("value") or [])]
            want_f = [full(it) for it in truth]
            diff = [f"      missing {k}" for k in want_f if k not in got_f] + [f"      got     {k}" for k in got_f if k not in want_f]
            return "\n".join([head + " (rows right; keys or order differ)"] + diff)
        return "\n".join([head] + [f"      missing {k}" for k in missing] + [f"      got     {k}" for k in extra])
    got = norm_value(pf.get("value")) if pf else None
    return f"  {kind} #{i} {fname}: truth {norm_value(truth)!r} got {got!r} conf {conf}{mark}"


def main_from_args(args) -> int:
    from extract.pipeline import Pipeline, PipelineOptions
    from ocr import OcrOptions
    from samples.generate import KINDS, generate

    pipe = Pipeline(PipelineOptions(ocr=OcrOptions(kind=args.engine)))
    kinds = args.kinds.split(",") if args.kinds else [k for k in KINDS if any(k.startswith(t) for t in TYPES)]
    tallies: dict[tuple[str, str], FieldTally] = defaultdict(FieldTally)
    type_ok = type_n = 0
    confusions: dict[str, int] = defaultdict(int)
    rows_ok = rows_n = 0
    secs: dict[str, list[float]] = defaultdict(list)
    conf_errors = []
    show_errors = bool(getattr(args, "show_errors", False))
    wrong: list[str] = []
    pages_n = multi_n = truth_n = pred_n = 0
    for kind in kinds:
        group = "clean" if kind.endswith("_clean") else "degraded"
        for i in range(args.per_kind):
            s = generate(kind, args.seed, i)
            # a multi-page document (a long 出院记录) is read as one file of all its pages and
            # scored against one truth document holding every page's fields
            data, truth_docs = sample_input(s)
            n_pages = 1 + len(s.pages)
            t0 = time.perf_counter()
            res = pipe.extract_bytes(data, f"{kind}-{i}.png").to_json_dict()
            secs[kind].append((time.perf_counter() - t0) / n_pages)
            pages_n += n_pages
            multi_n += n_pages > 1
            truth_n += len(truth_docs)
            pred_n += len(res["documents"])
            for t, p in match_documents(res["documents"], truth_docs):
                type_n += 1
                if p is None:
                    got = [d["type"] for d in res["documents"]]
                    confusions[f"{t['type']} -> {','.join(got) or 'nothing'}"] += 1
                else:
                    type_ok += 1
                tally = tallies[(t["type"], group)]
                for fname, tf in t["fields"].items():
                    pf = (p or {}).get("fields", {}).get(fname)
                    if fname == "items" and isinstance(tf["value"], list):
                        got_items = {_item_key(it) for it in ((pf or {}).get("value") or [])}
                        for it in tf["value"]:
                            rows_n += group == "clean"
                            rows_ok += group == "clean" and _item_key(it) in got_items
                    ok = tally.add(tf["value"], pf)
                    if not ok and show_errors:
                        wrong.append(_wrong_field(kind, i, fname, tf["value"], pf))
                    if not ok and pf and pf.get("confidence", 0) >= CONFIDENT:
                        conf_errors.append((kind, i, fname, norm_value(tf["value"])[:40], norm_value(pf.get("value"))[:40], pf["confidence"]))
    print(f"engine {args.engine}, seed {args.seed}, {args.per_kind} pages per kind")
    print("| type | clean field acc | degraded field acc | confident errors | ECE |")
    print("|---|---|---|---|---|")
    for t in TYPES:
        c, d = tallies.get((t, "clean")), tallies.get((t, "degraded"))
        if not c and not d:
            continue
        both = FieldTally()
        for x in (c, d):
            if x:
                both.merge(x)
        cell = {g: f"{x.accuracy:.2%} ({x.total})" if x else "" for g, x in (("c", c), ("d", d))}
        print(f"| {t} | {cell['c']} | {cell['d']} | {both.confident_errors} | {ece(both.pairs):.3f} |")
    print()
    print(f"document type accuracy: {type_ok}/{type_n} = {type_ok / max(1, type_n):.2%}")
    print(f"documents: {pred_n} predicted for {truth_n} in truth ({pages_n} pages, {multi_n} multi-page files)")
    print(f"lab-report rows fully correct (clean): {rows_ok}/{rows_n} = {rows_ok / max(1, rows_n):.2%}")
    allsec = [x for v in secs.values() for x in v]
    print(f"seconds per page: median {statistics.median(allsec):.2f}, p90 {sorted(allsec)[int(0.9 * (len(allsec) - 1))]:.2f}")
    for k, v in secs.items():
        print(f"  {k}: median {statistics.median(v):.2f} s")
    if confusions:
        print("type confusions:", dict(confusions))
    for e in conf_errors:
        print("confident error:", e)
    if show_errors:
        print(f"wrong or missing fields ({len(wrong)}):")
        for line in wrong:
            print(line)
    return 0
