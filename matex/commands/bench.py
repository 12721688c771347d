"""`matex bench ocr|idcard|memory`: benchmarks that print numbers (and can record them).

Each engine runs in its own process so that its load time and peak memory are its own.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys


def kind_list(text: str) -> str:
    """--kinds: a comma-separated list of generated sample kinds, every one known (argparse
    reports the unknown ones, itemised, with the known ones, and no stack trace)."""
    from samples.generate import KINDS

    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(
            ("no kind given" if not kinds else "unknown kinds: " + ", ".join(unknown)) + "; known kinds: " + ", ".join(KINDS)
        )
    return ",".join(kinds)


def register(sub) -> None:
    p = sub.add_parser("bench", help="run a benchmark on generated documents and print the numbers")
    bsub = p.add_subparsers(dest="bench", required=True)
    o = bsub.add_parser("ocr", help="character accuracy and speed per OCR engine")
    o.add_argument("--engines", default="rapidocr,paddleocr")
    o.add_argument("--seed", type=int, default=1000, help="1000+ = evaluation seeds, never tuned on")
    o.add_argument("--per-kind", type=int, default=6)
    o.add_argument("--kinds", default=None, type=kind_list)
    o.set_defaults(func=run_ocr)
    i = bsub.add_parser("idcard", help="ID-card field accuracy, confident errors, calibration, speed")
    i.add_argument("--engine", default="rapidocr")
    i.add_argument("--seed", type=int, default=1000)
    i.add_argument("--per-kind", type=int, default=40)
    i.add_argument("--kinds", default=None, type=kind_list)
    i.add_argument("--show-errors", action="store_true")
    i.set_defaults(func=run_module("evaluation.idcard_bench"))
    d = bsub.add_parser("docs", help="medical and other document types: field accuracy, type accuracy")
    d.add_argument("--engine", default="rapidocr")
    d.add_argument("--seed", type=int, default=1000)
    d.add_argument("--per-kind", type=int, default=10)
    d.add_argument("--kinds", default=None, type=kind_list)
    d.add_argument("--show-errors", action="store_true", help="list every wrong or missing field")
    d.set_defaults(func=run_module("evaluation.docs_bench"))
    m = bsub.add_parser("memory", help="resident memory over many pages with one engine")
    m.add_argument("--engine", default="rapidocr")
    m.add_argument("--pages", type=int, default=1000)
    m.add_argument("--every", type=int, default=50)
    m.set_defaults(func=run_module("evaluation.memory_bench"))


def machine() -> str:
    """The machine a benchmark ran on, with the load at the start (timings depend on it)."""
    import os

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}, load avg at start {load:.1f}"


def run_ocr(args) -> int:
    rows = []
    for eng in args.engines.split(","):
        cmd = [sys.executable, "-m", "evaluation.ocr_bench", "--engine", eng, "--seed", str(args.seed), "--per-kind", str(args.per_kind)]
        if args.kinds:
            cmd += ["--kinds", args.kinds]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{eng}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
            return 1
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"machine: {machine()}")
    print("| engine | char acc clean | char acc degraded | s/page median | s/page p90 | ID page median | model load s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['engine']} | {r['char_accuracy_clean']:.4f} | {r['char_accuracy_degraded']:.4f} | {r['s_per_page_median']} "
            f"| {r['s_per_page_p90']} | {r.get('id_page_s_median', '')} | {r['model_load_s']} | {r['peak_rss_mb']} |"
        )
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    return 0


def run_module(module: str):
    def _run(args) -> int:
        import importlib

        mod = importlib.import_module(module)
        return int(mod.main_from_args(args) or 0)

    return _run
