"""`matex case FILE... [--db URL] [--mapping office.yaml]`: all the documents of one claim.

Each FILE is either a document to extract (image, PDF: the extraction pipeline runs) or an
extraction-result JSON/JSONL (`*.json`, `*.jsonl`, as `matex extract` writes them). Prints the
`CaseReport` as JSON (or a short text with `--format text`); `--results DIR` keeps the
cross-checked results. Exit status 0, or 4 with `--strict` when the case is flagged.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

RESULT_SUFFIXES = (".json", ".jsonl")


def register(sub) -> None:
    p = sub.add_parser("case", help="cross-check the documents of one claim (files or result JSON)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", default=None, help="golden store URL or SQLite path")
    p.add_argument("--mapping", default=None, help="YAML column mapping for an office table/view")
    p.add_argument("--table", default="golden_person")
    p.add_argument("--schema", default=None)
    p.add_argument("--format", choices=["json", "text"], default="json")
    p.add_argument("--results", default=None, help="folder for the cross-checked results")
    p.add_argument("--strict", action="store_true", help="exit 4 when the case is flagged")
    p.set_defaults(func=run)


def _extract(paths: list[str]):
    from extract.pipeline import extract_paths

    return list(extract_paths(paths, None))


def gather(files: list[str]):
    from matex.commands.golden import load_results

    results, to_extract = [], []
    for f in files:
        if Path(f).suffix.lower() in RESULT_SUFFIXES:
            results.extend(load_results(f))
        else:
            to_extract.append(f)
    if to_extract:
        results.extend(_extract(to_extract))
    return results


def _text(report) -> str:
    out = [f"case: {report.status}  ({len(report.documents)} documents, {len(report.persons)} person(s))"]
    for p in report.persons:
        role = "subject" if p.index == report.subject else f"person {p.index}"
        out.append(f"  {role}: {p.name or '?'} {p.id_number or '?'} golden={p.golden}")
    for d in report.documents:
        out.append(f"  [{d.type}] {d.ref} crosscheck={d.crosscheck}")
    for f in report.flags:
        out.append(f"  {f.severity.upper():7} {f.code}: {f.message}")
    return "\n".join(out)


def run(args) -> int:
    from crosscheck.case import check_case
    from crosscheck.store import open_store

    missing = [f for f in args.files if not Path(f).exists()]
    if missing:
        print(f"matex case: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = gather(args.files)
    store = open_store(args.db, mapping=args.mapping, table=args.table, schema=args.schema)
    report = check_case(results, store)
    if args.results:
        out = Path(args.results)
        out.mkdir(parents=True, exist_ok=True)
        for i, res in enumerate(results):
            (out / f"{i:02d}-{Path(res.source).stem}.json").write_text(
                json.dumps(res.to_json_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    if args.format == "text":
        print(_text(report))
    else:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 4 if (args.strict and report.flagged) else 0
