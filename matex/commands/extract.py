"""`matex extract FILE... [--format json|jsonl|table] [--engine KIND]`"""
from __future__ import annotations

import json
import os
import sys

from extract.pipeline import PipelineOptions, extract_paths
from ocr import DEFAULT_ENGINE, OcrOptions, available_kinds
from ocr.base import EngineUnavailable


def register(sub) -> None:
    p = sub.add_parser("extract", help="extract typed records from files (JSON per the result contract)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=["json", "jsonl", "table"], default="json")
    p.add_argument("--engine", choices=available_kinds(), default=DEFAULT_ENGINE)
    p.add_argument("--dpi", type=int, default=200, help="PDF rendering resolution (bbox units)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--golden-db", default=None, metavar="URL",
                   help="cross-check against the golden records in this database (SQLite path or postgresql:// URL; "
                        "default: $MATEX_GOLDEN_DB if set, else no cross-check)")
    p.set_defaults(func=run)


def _table(res) -> str:
    out = [f"{res.source}  pages={res.pages}  sha256={res.sha256[:12]}…"]
    for d in res.documents:
        flag = "REVIEW" if d.needs_review else "ok"
        out.append(f"  [{d.type}] page {d.page} conf {d.confidence:.2f} {flag} {' '.join(d.warnings)}")
        for name, f in d.fields.items():
            val = f.value if not isinstance(f.value, list) else f"{len(f.value)} items"
            out.append(f"    {name:<22} {str(val):<40} {f.confidence:.3f} {','.join(f.checks)}")
        for line in getattr(d, "lines", None) or []:
            out.append(f"    | {line.text}")
    for e in res.errors:
        out.append(f"  ERROR {e.code}: {e.message}")
    return "\n".join(out)


def run(args) -> int:
    opts = PipelineOptions(ocr=OcrOptions(kind=args.engine, threads=args.threads))
    opts.limits.dpi = args.dpi
    results = []
    any_read = False
    store = None
    url = args.golden_db or os.environ.get("MATEX_GOLDEN_DB")
    if url:
        from crosscheck import check_result, open_store

        store = open_store(url)
    try:
        for res in extract_paths(args.files, opts):
            if store is not None:
                res = check_result(res, store)
            any_read = any_read or res.pages > 0
            if args.format == "jsonl":
                print(json.dumps(res.to_json_dict(), ensure_ascii=False), flush=True)
            elif args.format == "table":
                print(_table(res), flush=True)
            else:
                results.append(res.to_json_dict())
    except EngineUnavailable as exc:
        print(f"matex: OCR engine unavailable: {exc}", file=sys.stderr)
        return 3
    if args.format == "json":
        payload = results[0] if len(results) == 1 else results
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    return 0 if any_read else 2
