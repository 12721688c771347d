#!/usr/bin/env python
"""Backlog digitization benchmark: pages per minute with 1 and 2 local workers and on a local
Ray instance, peak memory per worker, and the time to resume after kill -9 (with a check that
no result line is duplicated or missing). Prints markdown tables.

    .venv/bin/python scripts/bench_batch.py                 # 500 generated pages (the full run)
    .venv/bin/python scripts/bench_batch.py --pages 60      # a short run
    .venv/bin/python scripts/bench_batch.py --pages 60 --only local1,resume --keep /tmp/bb

The backlog (batch/backlog.py) mixes ID cards (clean, photos, cut-out copies), A4 copies with
both sides of a card, and medical pages (certificates, lab reports): 70% single scans, 20% in zip
archives, 10% in multi-page PDFs/TIFFs, plus a few duplicates and bad files. Each configuration
runs `matex batch` as its own process into its own output folder, so its numbers are its own.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine() -> str:
    try:
        from matex.commands.bench import machine as m

        return m()
    except Exception:  # noqa: BLE001
        return f"{os.cpu_count()} cores"


def matex(*args: str) -> list[str]:
    return [sys.executable, "-m", "matex.cli", "batch", *args]


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def steady_rate(out: Path, run_id: int | None = None) -> float | None:
    """Pages per minute between the first and the last result that went through a worker
    (without the start: imports, model loads)."""
    con = sqlite3.connect(f"file:{out / 'manifest.sqlite'}?mode=ro", uri=True)
    try:
        q = "SELECT finished_at, pages FROM inputs WHERE seconds IS NOT NULL AND status != 'duplicate'"
        args: tuple = ()
        if run_id is not None:
            q += " AND run_id=?"
            args = (run_id,)
        rows = sorted(con.execute(q + " ORDER BY finished_at", args).fetchall())
    finally:
        con.close()
    if len(rows) < 3:
        return None
    span = rows[-1][0] - rows[0][0]
    pages = sum(p for _, p in rows[1:])
    return round(pages / span * 60.0, 1) if span > 0 else None


def run_config(name: str, backlog: Path, out: Path, extra: list[str], timeout: float) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.monotonic()
    p = subprocess.run(matex(str(backlog), "--out", str(out), "--no-progress", "--json", *extra),
                       cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit(f"{name}: matex batch failed ({p.returncode}):\n{p.stderr[-3000:]}")
    s = json.loads(p.stdout)
    from batch.store import verify

    rep = verify(out)
    con = sqlite3.connect(f"file:{out / 'manifest.sqlite'}?mode=ro", uri=True)
    rss = dict(con.execute("SELECT worker, MAX(rss_mb) FROM inputs WHERE worker IS NOT NULL GROUP BY worker").fetchall())
    con.close()
    return {
        "name": name, "workers": s["workers"], "executor": s["executor"], "inputs": rep["finished"],
        "pages": s["pages"], "wall_s": round(wall, 1), "ppm": round(s["pages"] / wall * 60.0, 1),
        "steady_ppm": steady_rate(out), "first_result_s": s["first_result_s"],
        "worker_rss_mb": round(max(rss.values()), 0) if rss else s.get("worker_peak_rss_mb"),
        "coordinator_rss_mb": s.get("coordinator_peak_rss_mb"), "verify_ok": rep["ok"], "bad": s["errors"],
        "duplicates": s["duplicates"],
    }


def finished_count(out: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{out / 'manifest.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM inputs WHERE status IN ('done','error','duplicate')").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def first_new_result(out: Path, since: float) -> float | None:
    try:
        con = sqlite3.connect(f"file:{out / 'manifest.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            r = con.execute("SELECT MIN(finished_at) FROM inputs WHERE seconds IS NOT NULL AND finished_at > ?", (since,)).fetchone()
            return r[0]
        finally:
            con.close()
    except sqlite3.Error:
        return None


def resume_after_kill(backlog: Path, out: Path, inputs: int, workers: int, timeout: float) -> dict:
    from batch.store import verify

    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.Popen(matex(str(backlog), "--out", str(out), "--no-progress", "--workers", str(workers)),
                            cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = max(1, inputs // 2)
    deadline = time.monotonic() + timeout
    while finished_count(out) < target:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("resume bench: the batch ended or stalled before it could be killed")
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    at_kill = finished_count(out)
    lines_at_kill = (out / "results.jsonl").read_bytes().count(b"\n")
    time.sleep(1.5)  # the orphaned workers notice and exit
    t_launch = time.time()
    proc = subprocess.Popen(matex(str(backlog), "--out", str(out), "--no-progress", "--workers", str(workers), "--json"),
                            cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    resume_s = None
    while proc.poll() is None and time.monotonic() < deadline + timeout:
        t = first_new_result(out, t_launch)
        if t is not None:
            resume_s = round(t - t_launch, 2)
            break
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit(f"resume bench: the rerun failed:\n{stderr[-3000:]}")
    s = json.loads(stdout)
    rep = verify(out)
    return {
        "killed_at": at_kill, "lines_at_kill": lines_at_kill, "inputs": inputs, "resume_s": resume_s,
        "reconciled": s["reconciled"], "skipped": s["skipped"], "processed": s["processed"] + s["duplicates"] + s["errors"],
        "lines": rep["lines"], "duplicated": len(rep["duplicated"]), "missing": len(rep["missing"]), "ok": rep["ok"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gen-workers", type=int, default=os.cpu_count() or 1, help="processes generating the backlog")
    ap.add_argument("--only", default="local1,local2,ray,resume", help="comma-separated: local1, local2, ray, resume")
    ap.add_argument("--resume-workers", type=int, default=2)
    ap.add_argument("--keep", default=None, help="work in this folder and keep it (default: a temporary folder)")
    ap.add_argument("--backlog", default=None, help="reuse a generated backlog folder")
    ap.add_argument("--timeout", type=float, default=3 * 3600)
    a = ap.parse_args(argv)
    only = {s.strip() for s in a.only.split(",") if s.strip()}
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_batch_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if a.backlog:
            backlog = Path(a.backlog)
            meta = json.loads((backlog.parent / f"{backlog.name}.backlog.json").read_text(encoding="utf-8"))
            gen_s = 0.0
        else:
            from batch.backlog import make_backlog

            backlog = work / "backlog"
            shutil.rmtree(backlog, ignore_errors=True)
            t0 = time.monotonic()
            meta = make_backlog(backlog, a.pages, a.seed, workers=a.gen_workers).to_dict()
            gen_s = time.monotonic() - t0
        print(f"machine: {machine()}", flush=True)
        print(f"backlog: {meta['pages']} pages in {meta['inputs']} inputs ({len(meta['duplicates'])} duplicates, "
              f"{len(meta['bad'])} bad files); generated in {gen_s:.0f}s at {backlog}\n", flush=True)
        rows = []
        if "local1" in only:
            rows.append(run_config("local, 1 worker", backlog, work / "out_local1", ["--workers", "1"], a.timeout))
        if "local2" in only:
            rows.append(run_config("local, 2 workers", backlog, work / "out_local2", ["--workers", "2"], a.timeout))
        if "ray" in only:
            rows.append(run_config("Ray (local instance), 2 actors", backlog, work / "out_ray",
                                   ["--executor", "ray", "--workers", "2", "--ray-num-cpus", "2"], a.timeout))
        if rows:
            print("| configuration | inputs | pages | wall s | pages/min | steady pages/min | first result s "
                  "| peak RSS per worker MB | coordinator RSS MB | results.jsonl checked |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['name']} | {r['inputs']} | {r['pages']} | {r['wall_s']} | {r['ppm']} | {r['steady_ppm']} "
                      f"| {r['first_result_s'] or 0:.1f} | {r['worker_rss_mb']} | {r['coordinator_rss_mb']} "
                      f"| {'ok' if r['verify_ok'] else 'MISMATCH'} |")
            print()
        if "resume" in only:
            r = resume_after_kill(backlog, work / "out_resume", meta["inputs"], a.resume_workers, a.timeout)
            print("| kill -9 after | lines at kill | rerun: first new result s | reconcile | skipped | done after resume "
                  "| lines | duplicated | missing |")
            print("|---|---|---|---|---|---|---|---|---|")
            rec = r["reconciled"]
            print(f"| {r['killed_at']}/{r['inputs']} inputs | {r['lines_at_kill']} | {r['resume_s']} "
                  f"| {rec.get('truncated_bytes', 0)} B cut, {rec.get('lines_rewritten', 0)} line(s) rewritten "
                  f"| {r['skipped']} | {r['processed']} | {r['lines']}/{r['inputs']} | {r['duplicated']} | {r['missing']} |")
            print()
            if not r["ok"]:
                print("results.jsonl does NOT match the manifest after the resume", file=sys.stderr)
                return 1
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
        return 0
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
