"""Soak test of the running service: memory, file descriptors and threads over N pages.

    .venv/bin/python scripts/soak.py [--pages 2000] [--workers 2] [--engine rapidocr|fake]
                                     [--concurrency 3] [--sample-every 50] [--pool 100]
                                     [--csv out/soak.csv] [--plot PATH] [--keep DIR]

1. Generates a pool of distinct documents (samples.generate / samples.pdfs, development seeds):
   ID cards (clean PNG scans, phone photos, photocopies, both sides on an A4 copy), single
   medical pages (certificate, lab report) and multi-page claim PDFs (3-4 pages each).
2. Starts `matex serve` as a subprocess (a free loopback port, its own data dir and SQLite DB,
   `--workers` OCR worker processes) and creates a portal key, as scripts/bench_api.py does.
3. Uploads the pool round-robin with `?wait=false` (always 202) and polls each job until it is
   done, `--concurrency` uploads in flight, until `--pages` pages (not uploads: a PDF counts its
   pages, read from the result) are through. The service answers identical bytes of the same
   tenant with the earlier extraction (dedup by sha256, no OCR), so every upload is made unique
   by a cheap byte change that leaves the pixels alone: a JPEG COM segment, a PNG tEXt chunk, a
   trailing PDF comment. A `duplicate: true` answer counts as an error.
4. Every `--sample-every` pages samples the server process and each worker process (psutil; a
   worker's numbers include its own children): RSS, open fds, threads; plus pages done, errors,
   the worker PIDs from /readyz, the restart counter from /metrics and the size of the SQLite
   files. A worker PID that changes (the supervisor restarted a dead worker) is reported as a
   finding and fails the run; no baseline is reset.
5. Idle checkpoints: before the first upload (cold), at 10 % of the pages or after one pass
   through the pool, whichever is later (warm: the baseline; model load and warm-up are over and
   every kind of page has been seen), at 50 % (mid) and at the end, uploading pauses until every
   job is finished, waits `--settle` seconds and samples. Growth is end vs warm, both idle: a
   sample under load depends on which page a worker holds at that moment (an A4 page at 200 dpi
   reads tens of MiB higher than an ID card), an idle one does not. The samples under load give
   the curve and the peak.
6. Prints a markdown table of the curve and one of the growth per process, pages/min, latency
   and errors; writes the samples to `--csv` (and a PNG plot next to it when matplotlib happens
   to be installed; it is not a dependency).

Pass (exit 0) when: RSS growth <= `--max-rss-growth` % (default 10) for the server and for
each worker, open fds grew by at most `--max-fd-growth` (default 16) in each process, no request
failed (HTTP error, failed extraction, duplicate, wrong page count, timeout), no worker PID
changed and the server is still alive. Exit 1 otherwise, 2 for a setup error.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
# Idle checkpoints: uploading pauses there until every job is done. warm: the baseline (model load
# and warm-up are over); mid: the trend; end: compared with warm.
CHECKPOINTS = [("warm", 0.10), ("mid", 0.50), ("end", 1.0)]


def checkpoint_targets(pages: int, pool_pages: int) -> list[tuple[str, int]]:
    """Page counts of the checkpoints. warm: 10 % of the pages, or one pass through the pool when
    that is later (every kind of page, the largest included, has been seen), at most half."""
    half = max(1, math.ceil(pages * 0.5))
    warm = min(max(1, math.ceil(pages * 0.10), pool_pages), half)
    out = [("warm", warm)]
    if half > warm and half < pages:
        out.append(("mid", half))
    if pages > warm:
        out.append(("end", pages))
    return out

# One cycle of the pool: ~60 % ID-card uploads, ~25 % single medical pages, ~15 % multi-page PDFs
# (so about a third of the pages come from PDFs). Kind -> file format of the upload.
POOL_CYCLE: list[tuple[str, str]] = [  # interleaved, so that a small pool has every family
    ("id_front_clean", "png"), ("id_front_photo", "jpg"), ("claim_pdf_mixed", "pdf"), ("id_both_a4_copy", "jpg"),
    ("medical_certificate_clean", "png"), ("id_back_clean", "png"), ("id_front_copy", "jpg"),
    ("lab_report_degraded", "jpg"), ("id_back_photo", "jpg"), ("claim_pdf_scanned", "pdf"),
    ("id_front_clean", "jpg"), ("id_front_photo", "jpg"), ("medical_certificate_degraded", "jpg"),
    ("id_both_a4_copy", "jpg"), ("id_back_clean", "jpg"), ("lab_report_clean", "jpg"), ("id_front_copy", "jpg"),
    ("claim_pdf_mixed", "pdf"), ("id_back_photo", "jpg"), ("medical_certificate_clean", "jpg"),
]


# ------------------------------------------------------------------------------ the pool
@dataclass
class Doc:
    kind: str
    fmt: str          # jpg | png | pdf
    data: bytes
    pages: int


def make_pool(n: int, seed0: int = 700, log=print) -> list[Doc]:
    from samples.generate import generate, encode
    from samples.pdfs import generate_pdf

    pool: list[Doc] = []
    t0 = time.perf_counter()
    for i in range(n):
        kind, fmt = POOL_CYCLE[i % len(POOL_CYCLE)]
        seed, index = seed0 + i // len(POOL_CYCLE), i
        if fmt == "pdf":
            s = generate_pdf(kind, seed, index)
            pool.append(Doc(kind, fmt, s.data, int(s.truth["pages"])))
        else:
            s = generate(kind, seed, index)
            data, _ = encode(s, fmt, quality=85)
            pool.append(Doc(kind, fmt, data, 1))
        if (i + 1) % 20 == 0:
            log(f"  pool {i + 1}/{n} ({time.perf_counter() - t0:.0f} s)")
    return pool


def unique_bytes(doc: Doc, tag: int) -> bytes:
    """The document's bytes with `tag` written where no decoder looks (pixels unchanged)."""
    note = f"matex-soak {tag}".encode()
    d = doc.data
    if doc.fmt == "jpg":  # a COM segment right after SOI
        assert d[:2] == b"\xff\xd8"
        return d[:2] + b"\xff\xfe" + struct.pack(">H", len(note) + 2) + note + d[2:]
    if doc.fmt == "png":  # a tEXt chunk right before IEND
        i = d.rindex(b"IEND") - 4
        body = b"Comment\x00" + note
        chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
        return d[:i] + chunk + d[i:]
    if doc.fmt == "pdf":  # a comment line after %%EOF
        return d + (b"" if d.endswith(b"\n") else b"\n") + b"%" + note + b"\n"
    raise ValueError(doc.fmt)


# ------------------------------------------------------------------------------ the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workers: int, engine: str, data_dir: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.cmd = [sys.executable, "-m", "matex.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--data-dir", data_dir, "--workers", str(workers), "--engine", engine, "--rate", "100000",
                    "--burst", "100000", "--log-level", "warning"]
        self.env = {**os.environ, "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True", "PYTHONPATH": str(ROOT)}
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(data_dir) / "server.log"
        self.log = open(self.log_path, "w")

    def create_key(self) -> str:
        out = subprocess.run([sys.executable, "-m", "matex.cli", "serve", "--data-dir", self.data_dir,
                              "--create-key", "portal", "soak", "--name", "soak"], capture_output=True, text=True,
                             env=self.env, cwd=ROOT, check=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self, timeout: float = 300) -> dict:
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                r = httpx.get(self.url + "/readyz", timeout=2)
                # ready = at least one worker; wait for all of them (model loaded) before measuring
                if r.status_code == 200 and r.json().get("workers_ready") == r.json().get("workers_wanted"):
                    info = r.json()
                    info["startup_s"] = round(time.monotonic() - t0, 1)
                    return info
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise TimeoutError("server not ready")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


# ------------------------------------------------------------------------------ sampling
def _tree(p: psutil.Process) -> list[psutil.Process]:
    try:
        return [p] + p.children(recursive=True)
    except psutil.Error:
        return [p]


def proc_stats(pid: int, with_children: bool) -> dict | None:
    """rss (bytes), fds, threads of a process (and of its descendants when asked)."""
    try:
        root = psutil.Process(pid)
        procs = _tree(root) if with_children else [root]
        rss = fds = threads = 0
        for q in procs:
            try:
                with q.oneshot():
                    rss += q.memory_info().rss
                    fds += q.num_fds()
                    threads += q.num_threads()
            except psutil.NoSuchProcess:
                if q is root:
                    raise
        return {"rss": rss, "fds": fds, "threads": threads}
    except psutil.Error:
        return None


@dataclass
class Sample:
    t_s: float
    pages: int
    uploads: int
    errors: int
    server: dict | None
    workers: dict[int, dict]          # index -> {"pid", "rss", "fds", "threads"}
    others_rss: int                   # the server's other children (multiprocessing's resource tracker, ...)
    db_bytes: int
    restarts: int
    label: str = ""                   # cold | warm | mid | end: idle checkpoints; "" under load


@dataclass
class Run:
    pages_target: int
    pages_sent: int = 0
    pages_done: int = 0
    uploads_sent: int = 0
    uploads_done: int = 0
    errors: list[str] = field(default_factory=list)
    result_error_codes: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    pid_changes: list[str] = field(default_factory=list)
    first_pids: dict[int, int] = field(default_factory=dict)
    last_pids: dict[int, int] = field(default_factory=dict)
    t0: float = 0.0
    t_end: float = 0.0


class Sampler:
    def __init__(self, srv: Server, run: Run, client: httpx.AsyncClient, log):
        self.srv, self.run, self.client, self.log = srv, run, client, log
        self.lock = asyncio.Lock()
        self.db = Path(srv.data_dir) / "matex.sqlite3"

    async def worker_pids(self) -> dict[int, int]:
        try:
            r = await self.client.get("/readyz", timeout=10)
            return {int(k): int(v) for k, v in (r.json().get("worker_pids") or {}).items()}
        except (httpx.HTTPError, ValueError):
            return {}

    async def restarts(self) -> int:
        try:
            r = await self.client.get("/metrics", timeout=10)
            for line in r.text.splitlines():
                if line.startswith("matex_worker_restarts") and not line.startswith("#"):
                    return int(float(line.split()[-1]))
        except (httpx.HTTPError, ValueError):
            pass
        return -1

    async def sample(self, label: str = "") -> Sample:
        async with self.lock:
            run = self.run
            pids = await self.worker_pids()
            restarts = await self.restarts()
            self._check_pids(pids)
            server = proc_stats(self.srv.proc.pid, with_children=False) if self.srv.alive() else None
            workers = {}
            for i, pid in sorted(pids.items()):
                st = proc_stats(pid, with_children=True)
                if st is not None:
                    workers[i] = {"pid": pid, **st}
            others = 0
            try:
                wset = set(pids.values())
                for c in psutil.Process(self.srv.proc.pid).children(recursive=False):
                    if c.pid not in wset:
                        st = proc_stats(c.pid, with_children=True)
                        others += st["rss"] if st else 0
            except psutil.Error:
                pass
            db_bytes = sum(p.stat().st_size for p in self.db.parent.glob(self.db.name + "*") if p.exists())
            s = Sample(round(time.monotonic() - run.t0, 1), run.pages_done, run.uploads_done, len(run.errors),
                       server, workers, others, db_bytes, restarts, label)
            run.samples.append(s)
            w = ", ".join(f"w{i} {v['rss'] / MB:.0f}" for i, v in workers.items())
            srss = f"{server['rss'] / MB:.0f}" if server else "DEAD"
            self.log(f"  [{s.t_s:7.1f} s] pages {s.pages:5d}{' ' + label + ' (idle)' if label else ''}  server {srss} MiB  {w} MiB  "
                     f"fds {server['fds'] if server else '-'}/{'/'.join(str(v['fds']) for v in workers.values())}  "
                     f"errors {s.errors}")
            return s

    def _check_pids(self, pids: dict[int, int]) -> None:
        run = self.run
        if not run.first_pids:
            run.first_pids = dict(pids)
            run.last_pids = dict(pids)
            return
        for i in sorted(set(run.last_pids) | set(pids)):
            a, b = run.last_pids.get(i), pids.get(i)
            if a != b:
                msg = (f"worker {i}: pid {a} -> {b if b is not None else 'gone'} near page {run.pages_done} "
                       f"(t={time.monotonic() - run.t0:.0f} s): the supervisor restarted it")
                run.pid_changes.append(msg)
                self.log("  FINDING: " + msg)
        # keep the last known pid of an index (a missing one may be mid-restart)
        run.last_pids.update(pids)


# ------------------------------------------------------------------------------ the load
async def soak(srv: Server, key: str, pool: list[Doc], a, log) -> Run:
    run = Run(a.pages)
    h = {"X-API-Key": key}
    limits = httpx.Limits(max_connections=a.concurrency + 4, max_keepalive_connections=a.concurrency + 4)
    async with httpx.AsyncClient(base_url=srv.url, timeout=120, limits=limits) as client:
        sampler = Sampler(srv, run, client, log)
        run.t0 = time.monotonic()
        await sampler.sample("cold")  # models loaded, nothing processed yet
        next_sample = a.sample_every
        counter = 0

        def err(msg: str) -> None:
            run.errors.append(msg)
            if len(run.errors) <= 20:
                log("  ERROR: " + msg)

        async def one(k: int, doc: Doc) -> int:
            """Upload, poll until finished; the pages it processed."""
            data = unique_bytes(doc, k)
            name = f"soak_{k:05d}.{doc.fmt}"
            mime = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}[doc.fmt]
            t = time.perf_counter()
            try:
                r = await client.post("/v1/extractions", headers=h, params={"wait": "false"},
                                      files={"file": (name, data, mime)})
            except httpx.HTTPError as exc:
                err(f"{name}: upload {type(exc).__name__}: {exc}")
                return 0
            if r.status_code not in (200, 202):
                err(f"{name}: upload HTTP {r.status_code}: {r.text[:200]}")
                return 0
            body = r.json()
            if body.get("duplicate"):
                err(f"{name}: answered as a duplicate of {body.get('id')} (bytes not unique?)")
            eid = body["id"]
            deadline = time.monotonic() + a.job_timeout
            delay = 0.1
            while body.get("status") not in ("done", "failed"):
                if time.monotonic() > deadline:
                    err(f"{name}: not finished after {a.job_timeout} s (status {body.get('status')})")
                    return 0
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, 0.5)
                try:
                    r = await client.get(f"/v1/extractions/{eid}", headers=h)
                except httpx.HTTPError as exc:
                    err(f"{name}: poll {type(exc).__name__}: {exc}")
                    await asyncio.sleep(1)
                    continue
                if r.status_code not in (200, 202):
                    err(f"{name}: poll HTTP {r.status_code}: {r.text[:200]}")
                    return 0
                body = r.json()
            run.latencies.append(time.perf_counter() - t)
            for e in body.get("errors") or []:
                code = e.get("code", "?") if isinstance(e, dict) else str(e)
                run.result_error_codes[code] = run.result_error_codes.get(code, 0) + 1
            pages = int(body.get("pages") or 0)
            if body.get("status") == "failed":
                err(f"{name} ({doc.kind}): extraction failed: {json.dumps(body.get('errors'), ensure_ascii=False)[:300]}")
            elif pages != doc.pages:
                err(f"{name} ({doc.kind}): {pages} page(s) in the result, {doc.pages} expected")
            return pages

        async def lane(target: int) -> None:
            nonlocal counter, next_sample
            while run.pages_sent < target and srv.alive():
                k = counter
                counter += 1
                doc = pool[k % len(pool)]
                run.pages_sent += doc.pages
                run.uploads_sent += 1
                pages = await one(k, doc)
                run.pages_done += pages
                run.uploads_done += 1
                if run.pages_done >= next_sample:
                    next_sample = (run.pages_done // a.sample_every + 1) * a.sample_every
                    await sampler.sample()

        # Phases end at the idle checkpoints: stop uploading, let every job finish, settle, sample.
        for label, target in checkpoint_targets(run.pages_target, sum(d.pages for d in pool)):
            await asyncio.gather(*(lane(target) for _ in range(a.concurrency)))
            if not srv.alive():
                err(f"the server exited with {srv.proc.returncode}; see {srv.log_path}")
                break
            if label == "end":
                run.t_end = time.monotonic()
            await asyncio.sleep(a.settle)
            if run.samples and run.samples[-1].pages == run.pages_done and not run.samples[-1].label:
                run.samples.pop()  # a busy sample at the same page count: the idle one replaces it
            await sampler.sample(label)
        if not run.t_end:
            run.t_end = time.monotonic()
    return run


# ------------------------------------------------------------------------------ the report
def checkpoint(run: Run, label: str) -> Sample | None:
    return next((s for s in run.samples if s.label == label), None)


def growth(run: Run) -> list[dict]:
    """One row per process: RSS/fds/threads at the idle checkpoints, peak RSS under load, growth."""
    cps = {lab: checkpoint(run, lab) for lab, _ in CHECKPOINTS}
    rows = []

    def row(name: str, get) -> dict:
        at = {lab: (get(s) if s is not None else None) for lab, s in cps.items()}
        allv = [v for v in (get(s) for s in run.samples) if v is not None]
        out: dict = {"process": name}
        for lab, v in at.items():
            out[f"{lab}_rss_mb"] = v["rss"] / MB if v else None
            out[f"{lab}_fds"] = v["fds"] if v else None
            out[f"{lab}_threads"] = v["threads"] if v else None
        out["peak_rss_mb"] = max(v["rss"] for v in allv) / MB if allv else None
        w, e = at.get("warm"), at.get("end")
        if not w or not e:
            out["missing"] = True
            return out
        out["rss_growth_pct"] = 100.0 * (e["rss"] - w["rss"]) / w["rss"]
        m = at.get("mid")
        out["rss_growth_mid_end_pct"] = 100.0 * (e["rss"] - m["rss"]) / m["rss"] if m else None
        out["fd_growth"] = e["fds"] - w["fds"]
        out["thread_growth"] = e["threads"] - w["threads"]
        return out

    rows.append(row("server", lambda s: s.server))
    for i in sorted({i for s in run.samples for i in s.workers}):
        r = row(f"worker {i}", lambda s, i=i: s.workers.get(i))
        pids = [s.workers[i]["pid"] for s in run.samples if i in s.workers]
        if len(set(pids)) > 1:  # not a fresh baseline: the numbers compare two different processes
            r["restarted"] = " -> ".join(str(p) for k, p in enumerate(pids) if k == 0 or p != pids[k - 1])
        rows.append(r)
    return rows


def report(run: Run, a, machine_desc: str, srv: Server) -> tuple[str, dict, bool]:
    lines = []
    wall = max(run.t_end - run.t0, 1e-9)
    ppm = run.pages_done / wall * 60
    lines.append(f"\nmachine: {machine_desc}; `matex serve --workers {a.workers}` ({a.engine}), SQLite, loopback; "
                 f"{a.concurrency} uploads in flight; pool of {a.pool_n} distinct documents, unique bytes per upload\n")
    lines.append("| pages | idle | uploads | t s | server RSS MiB | workers RSS sum MiB | workers RSS max MiB | other children MiB "
                 "| server fds | worker fds (each) | server threads | worker threads (each) | SQLite MiB | errors |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in run.samples:
        ws = list(s.workers.values())
        lines.append(
            f"| {s.pages} | {s.label} | {s.uploads} | {s.t_s:.0f} | {s.server['rss'] / MB:.0f} |" if s.server else
            f"| {s.pages} | {s.label} | {s.uploads} | {s.t_s:.0f} | DEAD |")
        lines[-1] += (f" {sum(w['rss'] for w in ws) / MB:.0f} | {max((w['rss'] for w in ws), default=0) / MB:.0f} "
                      f"| {s.others_rss / MB:.0f} | {s.server['fds'] if s.server else '-'} "
                      f"| {'/'.join(str(w['fds']) for w in ws)} | {s.server['threads'] if s.server else '-'} "
                      f"| {'/'.join(str(w['threads']) for w in ws)} | {s.db_bytes / MB:.1f} | {s.errors} |")
    cps = {lab: checkpoint(run, lab) for lab, _ in CHECKPOINTS}
    lines.append("\nIdle checkpoints (uploads paused until every job was done, then " + f"{a.settle:g} s): "
                 + ", ".join(f"{lab} at page {s.pages}" for lab, s in cps.items() if s is not None)
                 + ". Growth = end vs warm.\n")
    lines.append("| process | RSS MiB warm → mid → end (idle) | peak RSS MiB (under load) | RSS growth warm→end "
                 "| mid→end | fds warm → mid → end | threads warm → mid → end |")
    lines.append("|---|---|---|---|---|---|---|")
    rows = growth(run)
    fails = []
    f0 = (lambda v: "-" if v is None else f"{v:.0f}")
    for r in rows:
        trio = (lambda key: " → ".join(f0(r.get(f"{lab}_{key}")) for lab, _ in CHECKPOINTS))
        flag = f" (restarted: pids {r['restarted']})" if r.get("restarted") else ""
        if r.get("missing"):
            lines.append(f"| {r['process']}{flag} | {trio('rss_mb')} | {f0(r['peak_rss_mb'])} | n/a | n/a "
                         f"| {trio('fds')} | {trio('threads')} |")
            fails.append(f"{r['process']}: no warm or end sample")
            continue
        me = r["rss_growth_mid_end_pct"]
        lines.append(f"| {r['process']}{flag} | {trio('rss_mb')} | {f0(r['peak_rss_mb'])} | {r['rss_growth_pct']:+.1f} % "
                     f"| {'-' if me is None else f'{me:+.1f} %'} | {trio('fds')} | {trio('threads')} |")
        if r["rss_growth_pct"] > a.max_rss_growth:
            fails.append(f"{r['process']}: RSS grew {r['rss_growth_pct']:+.1f} % (limit {a.max_rss_growth} %)")
        if r["fd_growth"] > a.max_fd_growth:
            fails.append(f"{r['process']}: open fds grew by {r['fd_growth']} (limit {a.max_fd_growth})")
    lat = sorted(run.latencies)
    p = (lambda q: lat[min(len(lat) - 1, int(q * (len(lat) - 1) + 0.5))] if lat else float("nan"))
    last = run.samples[-1] if run.samples else None
    lines.append(f"\npages {run.pages_done} in {run.uploads_done} uploads, {wall:.0f} s: **{ppm:.1f} pages/min**; "
                 f"upload→result p50 {p(0.5):.2f} s, p95 {p(0.95):.2f} s, max {p(1.0):.2f} s; "
                 f"errors {len(run.errors)}; worker restarts {last.restarts if last else '?'} "
                 f"(pid changes seen: {len(run.pid_changes)}); SQLite {last.db_bytes / MB if last else 0:.1f} MiB")
    if run.result_error_codes:
        lines.append("result `errors[]` codes (informational, not failures): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(run.result_error_codes.items())))
    for m in run.pid_changes:
        lines.append(f"FINDING: {m}")
    if run.pid_changes:
        fails.append(f"{len(run.pid_changes)} worker pid change(s): a worker died and was restarted")
    if last and last.restarts > 0 and not run.pid_changes:
        fails.append(f"the service counts {last.restarts} worker restart(s)")
    if run.errors:
        fails.append(f"{len(run.errors)} request(s) failed; first: {run.errors[0]}")
    if not srv.alive():
        fails.append("the server is not running at the end")
    if run.pages_done < run.pages_target:
        fails.append(f"only {run.pages_done} of {run.pages_target} pages processed")
    ok = not fails
    lines.append(("\nPASS" if ok else "\nFAIL") + (": " + "; ".join(fails) if fails else
                 f": RSS growth ≤ {a.max_rss_growth} %, fd growth ≤ {a.max_fd_growth}, no failed request, "
                 "no worker restart"))
    summary = {"pages": run.pages_done, "uploads": run.uploads_done, "wall_s": round(wall, 1),
               "pages_per_min": round(ppm, 2), "errors": len(run.errors), "pid_changes": run.pid_changes,
               "growth": rows, "ok": ok, "fails": fails, "engine": a.engine, "workers": a.workers}
    return "\n".join(lines), summary, ok


def write_csv(run: Run, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    idx = sorted({i for s in run.samples for i in s.workers})
    head = ["t_s", "pages", "checkpoint", "uploads", "errors", "server_rss_mb", "server_fds", "server_threads",
            "workers_rss_sum_mb", "workers_rss_max_mb", "other_children_rss_mb", "sqlite_mb", "worker_restarts"]
    for i in idx:
        head += [f"w{i}_pid", f"w{i}_rss_mb", f"w{i}_fds", f"w{i}_threads"]
    with open(path, "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(head)
        for s in run.samples:
            ws = list(s.workers.values())
            sv = s.server or {}
            row = [s.t_s, s.pages, s.label, s.uploads, s.errors, round(sv.get("rss", 0) / MB, 1), sv.get("fds", ""),
                   sv.get("threads", ""), round(sum(w["rss"] for w in ws) / MB, 1),
                   round(max((w["rss"] for w in ws), default=0) / MB, 1), round(s.others_rss / MB, 1),
                   round(s.db_bytes / MB, 2), s.restarts]
            for i in idx:
                w = s.workers.get(i)
                row += [w["pid"], round(w["rss"] / MB, 1), w["fds"], w["threads"]] if w else ["", "", "", ""]
            wr.writerow(row)


def write_plot(run: Run, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    x = [s.pages for s in run.samples]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    ax1.plot(x, [(s.server or {}).get("rss", 0) / MB for s in run.samples], label="server", marker=".")
    for i in sorted({i for s in run.samples for i in s.workers}):
        ax1.plot(x, [s.workers[i]["rss"] / MB if i in s.workers else float("nan") for s in run.samples],
                 label=f"worker {i}", marker=".")
    ax1.set_ylabel("RSS MiB")
    ax1.legend()
    ax1.grid(alpha=0.3)
    ax2.plot(x, [(s.server or {}).get("fds", 0) for s in run.samples], label="server fds", marker=".")
    for i in sorted({i for s in run.samples for i in s.workers}):
        ax2.plot(x, [s.workers[i]["fds"] if i in s.workers else float("nan") for s in run.samples],
                 label=f"worker {i} fds", marker=".")
    ax2.set_xlabel("pages done")
    ax2.set_ylabel("open fds")
    ax2.legend()
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


# ------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=2000, help="pages to push through (PDF pages counted one by one)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", default="rapidocr", help="rapidocr (default), paddleocr, or fake (no OCR)")
    ap.add_argument("--concurrency", type=int, default=3, help="uploads in flight")
    ap.add_argument("--sample-every", type=int, default=50, help="pages between samples")
    ap.add_argument("--pool", type=int, default=100, help="distinct documents to generate (at most one per upload)")
    ap.add_argument("--csv", default="out/soak.csv", help="where to write the samples")
    ap.add_argument("--plot", default=None, help="PNG plot (default: the CSV path with .png; only with matplotlib)")
    ap.add_argument("--keep", default=None, metavar="DIR",
                    help="use DIR as the service's data dir and keep it (DB, uploads, server.log); default: a temp "
                         "dir, removed at the end")
    ap.add_argument("--job-timeout", type=float, default=600, help="seconds one upload may take to finish")
    ap.add_argument("--max-rss-growth", type=float, default=10.0, help="percent, per process")
    ap.add_argument("--max-fd-growth", type=int, default=16, help="open fds, per process")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds idle before a checkpoint sample")
    ap.add_argument("--json", action="store_true", help="also print a JSON summary line")
    a = ap.parse_args(argv)
    if a.pages < 1 or a.concurrency < 1 or a.sample_every < 1:
        ap.error("--pages, --concurrency and --sample-every must be >= 1")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        from matex.commands.bench import machine
        machine_desc = machine()
    except Exception:
        machine_desc = f"{os.cpu_count()} cores"
    # pages per upload average about 1.4 over a pool cycle: no need for more documents than uploads
    a.pool_n = max(1, min(a.pool, math.ceil(a.pages / 1.2)))
    log(f"machine: {machine_desc}")
    log(f"generating a pool of {a.pool_n} distinct documents ...")
    t = time.perf_counter()
    pool = make_pool(a.pool_n, log=log)
    random.Random(0).shuffle(pool)
    kinds: dict[str, int] = {}
    for d in pool:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    log(f"pool ready in {time.perf_counter() - t:.1f} s: {sum(d.pages for d in pool)} pages, "
        f"median {statistics.median(len(d.data) for d in pool) / 1024:.0f} KiB; "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))

    if a.keep:
        data_dir = str(Path(a.keep).resolve())
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        if (Path(data_dir) / "matex.sqlite3").exists():
            log(f"--keep {a.keep}: the directory already holds a database; use a new directory")
            return 2
    else:
        data_dir = tempfile.mkdtemp(prefix="matex-soak-")
    srv = Server(a.workers, a.engine, data_dir)
    run = None
    try:
        key = srv.create_key()
        info = srv.start()
        log(f"server ready in {info['startup_s']} s: {srv.url}, server pid {srv.proc.pid}, "
            f"worker pids {info.get('worker_pids')}")
        log(f"pushing {a.pages} pages, {a.concurrency} in flight, sampling every {a.sample_every} pages ...")
        run = asyncio.run(soak(srv, key, pool, a, log))
        text, summary, ok = report(run, a, machine_desc, srv)
    except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as exc:
        log(f"setup failed: {exc}")
        try:
            log(srv.log_path.read_text()[-3000:])
        except OSError:
            pass
        return 2
    finally:
        srv.stop()
        if not a.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(text)
    if a.csv:
        write_csv(run, Path(a.csv))
        log(f"samples: {a.csv}")
        plot = Path(a.plot) if a.plot else Path(a.csv).with_suffix(".png")
        try:
            if write_plot(run, plot):
                log(f"plot: {plot}")
        except Exception as exc:  # an optional extra: never the verdict
            log(f"plot not written: {type(exc).__name__}: {exc}")
    if a.keep:
        log(f"data dir kept: {data_dir} (server.log inside)")
    if a.json:
        print(json.dumps(summary, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
