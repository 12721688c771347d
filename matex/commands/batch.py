"""`matex batch INPUT... --out DIR`: digitize a backlog (folders, zip archives, multi-page
PDFs/TIFFs) into DIR: results.jsonl (one contract object per input), csv/<type>.csv,
summary.html, all recorded in DIR/manifest.sqlite. Rerun the same command to resume.

    matex batch /mnt/scans/2019 box3.zip --out out/2019              # local, one worker per core
    matex batch /mnt/scans --out /mnt/out --executor ray --address auto
    matex batch --check --out out/2019                               # results.jsonl vs the manifest
    matex batch --report --out out/2019                              # rebuild CSVs and summary
    matex batch /mnt/scans --out out/share --redact                  # results.jsonl + CSVs masked
    matex batch --export-redacted out/2019-redacted --out out/2019   # a masked copy of a batch

--redact masks ID numbers, names and card/account numbers (fields, raw readings, text lines,
messages) in results.jsonl and the CSVs of DIR (in results.jsonl `source`, the input's file name,
stays: it is the manifest's key; the CSVs mask it too); it is fixed for a DIR at its first run.
--export-redacted writes results.jsonl and csv/ masked, file names included, into another folder.

Exit status: 0 done (bad inputs are recorded, not fatal), 1 --check found a problem,
2 bad command line, 3 OCR engine unavailable / workers keep dying, 75 another batch holds DIR,
130 interrupted (rerun to resume).
"""
from __future__ import annotations

import json
import sys


def register(sub) -> None:
    from ocr import DEFAULT_ENGINE, available_kinds

    p = sub.add_parser("batch", help="digitize a backlog: resumable, exactly-once, local processes or a Ray cluster",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="folders, zip archives, files (PDF/TIFF/images)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (manifest, results, CSVs, summary)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes / Ray actors (default: the number of cores / the cluster's CPUs; 0: in-process)")
    p.add_argument("--executor", choices=["local", "ray"], default="local")
    p.add_argument("--address", default=None,
                   help="Ray cluster address: auto, HOST:6379, ray://HOST:10001 (default: start a local instance)")
    p.add_argument("--no-shared-storage", dest="shared_storage", action="store_false",
                   help="Ray: send file bytes to the actors (their nodes do not see INPUT); default: send paths")
    p.add_argument("--engine", choices=available_kinds(), default=DEFAULT_ENGINE)
    p.add_argument("--threads", type=int, default=None, help="OCR threads per worker (default: cores / workers)")
    p.add_argument("--dpi", type=int, default=200, help="PDF rendering resolution (bbox units)")
    p.add_argument("--max-inflight", type=int, default=None, help="tasks in flight (default: 2 per worker)")
    p.add_argument("--max-attempts", type=int, default=2, help="worker crashes on one input before it is recorded as failed")
    p.add_argument("--task-timeout", type=float, default=900.0, help="seconds one input may take (0: no limit)")
    p.add_argument("--ray-num-cpus", type=int, default=None, help="CPUs of the local Ray instance (default: all)")
    p.add_argument("--mask-ids", action="store_true", help="mask ID, card and certificate numbers in the CSVs")
    p.add_argument("--redact", action="store_true",
                   help="write results.jsonl and the CSVs with ID numbers, names and card numbers masked "
                        "(also raw readings and text lines); with --report: only the CSVs")
    p.add_argument("--export-redacted", metavar="DEST", default=None,
                   help="write a redacted copy of DIR's results.jsonl and CSVs into DEST, then exit")
    p.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show the progress bar")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--check", action="store_true", help="only check results.jsonl against the manifest")
    p.add_argument("--report", action="store_true", help="only rebuild the CSVs and the summary")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from batch import BatchOptions, run_batch, verify
    from batch.runner import BatchFatal
    from batch.sources import InputError
    from batch.store import BatchLocked, StoreError
    from matex.privacy import install_redaction

    install_redaction()  # log records (file paths, worker failures) masked too
    if args.export_redacted:
        from batch.export import export_redacted

        try:
            rows = export_redacted(args.out, args.export_redacted)
        except (OSError, ValueError) as exc:
            print(f"matex batch: {exc}", file=sys.stderr)
            return 2
        print(f"{args.export_redacted}: {rows.pop('results')} redacted results, CSVs: "
              + (", ".join(f"{k} {n}" for k, n in sorted(rows.items())) or "none"))
        return 0

    if args.check:
        try:
            rep = verify(args.out)
        except Exception as exc:  # noqa: BLE001 - no manifest there, unreadable database
            print(f"matex batch: {args.out}: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(rep, ensure_ascii=False, indent=1))
        return 0 if rep["ok"] else 1
    if args.report:
        from batch.export import write_csvs
        from batch.report import write_summary

        write_csvs(args.out, mask_ids=args.mask_ids or args.redact, redact=args.redact)
        s = write_summary(args.out)
        print(f"{args.out}/summary.html: {s['inputs']} inputs, {s['pages']} pages, {s['documents']} documents")
        return 0
    if not args.inputs:
        print("matex batch: give at least one INPUT (or --check / --report)", file=sys.stderr)
        return 2
    opts = BatchOptions(
        executor=args.executor, workers=args.workers, address=args.address, engine=args.engine, threads=args.threads,
        dpi=args.dpi, max_inflight=args.max_inflight, shared_storage=args.shared_storage, progress=args.progress,
        max_attempts=args.max_attempts, task_timeout=args.task_timeout or None, ray_num_cpus=args.ray_num_cpus,
        mask_ids=args.mask_ids, redact=args.redact, argv=sys.argv[1:],
    )
    try:
        summary = run_batch(args.inputs, args.out, opts)
    except InputError as exc:
        print(f"matex batch: {exc}", file=sys.stderr)
        return 2
    except BatchLocked as exc:
        print(f"matex batch: {exc}", file=sys.stderr)
        return 75
    except (BatchFatal, StoreError) as exc:
        print(f"matex batch: {exc}", file=sys.stderr)
        return 3
    if args.json:
        from dataclasses import asdict

        d = asdict(summary)
        d.pop("totals", None)
        print(json.dumps(d, ensure_ascii=False, indent=1))
    else:
        t = summary.totals
        print(summary.line(), file=sys.stderr)
        if t:
            print(
                f"batch total: {t['inputs']} inputs ({t['bad_inputs']} bad, {t['duplicates']} duplicates), {t['pages']} pages, "
                f"{t['documents']} documents, review rate {100 * t['review_rate']:.1f}%  ->  {summary.out_dir}/summary.html",
                file=sys.stderr,
            )
    return 130 if summary.status == "interrupted" else 0
