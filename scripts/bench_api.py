"""HTTP service benchmark: ID-card upload latency at concurrency 1, 4, 16, and a killed worker.

    .venv/bin/python scripts/bench_api.py [--workers 2] [--requests 12,24,48] [--concurrency 1,4,16]
                                          [--time-limit 150] [--engine rapidocr] [--no-kill]

1. Starts `matex serve` as a subprocess on 127.0.0.1 (a free port, a fresh data dir and SQLite
   DB, `--workers` OCR worker processes) and creates a portal key with `--create-key`.
2. Generates distinct ID-card JPEGs (samples.generate; every upload different bytes, so none
   is answered as a duplicate) before any timing.
3. For each concurrency level sends its bounded number of uploads with httpx + asyncio (at most
   `--time-limit` seconds per level; loopback only) and measures each request end to end
   (synchronous answer: upload, queue, OCR in a worker, result). Reports p50/p95 latency,
   requests/s sustained, 202 fall-backs, and how many id_numbers equal the truth.
4. Kill check: queues a batch with `?wait=false`, SIGKILLs one worker process while it holds a
   job, then checks that every upload finished exactly once (one machine result per extraction,
   one `extraction` audit entry each) and that `matex audit verify` passes.

Prints a markdown table (for BENCHMARKS.md) and a JSON line.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def make_uploads(n: int, seed0: int = 500) -> list[tuple[bytes, str]]:
    """n distinct ID-card JPEGs: a few generated cards, each re-encoded with a one-pixel change."""
    import cv2

    try:
        from samples.generate import generate

        base = []
        for i in range(min(n, 8)):
            s = generate("id_front_clean", seed0 + i, 0)
            truth = next(d for d in s.truth["documents"] if d["type"] == "id_card_front")["fields"]["id_number"]["value"]
            base.append((s.image, truth))
    except ImportError:
        from api.testing import _plain_card

        base = [(img, f["id_number"]) for img, f in (_plain_card(seed0 + i) for i in range(min(n, 8)))]
    out = []
    for k in range(n):
        img, truth = base[k % len(base)]
        im = img.copy()
        im[0, k % im.shape[1]] = (k * 37 % 256, k * 11 % 256, 255 - k % 256)
        ok, buf = cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 90])
        out.append((buf.tobytes(), truth))
    return out


class Server:
    def __init__(self, workers: int, engine: str, data_dir: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.cmd = [sys.executable, "-m", "matex.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--data-dir", data_dir, "--workers", str(workers), "--engine", engine, "--rate", "10000",
                    "--burst", "10000", "--sync-timeout", "120", "--log-level", "warning"]
        self.env = {**os.environ, "PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK": "True", "PYTHONPATH": str(ROOT)}
        self.proc: subprocess.Popen | None = None
        self.log = open(Path(data_dir) / "server.log", "w")

    def create_key(self) -> str:
        out = subprocess.run([sys.executable, "-m", "matex.cli", "serve", "--data-dir", self.data_dir,
                              "--create-key", "portal", "bench"], capture_output=True, text=True, env=self.env,
                             cwd=ROOT, check=True)
        return out.stdout.strip().splitlines()[-1]

    def start(self, timeout: float = 180) -> dict:
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                r = httpx.get(self.url + "/readyz", timeout=2)
                if r.status_code == 200:
                    info = r.json()
                    info["startup_s"] = round(time.monotonic() - t0, 1)
                    return info
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise TimeoutError("server not ready")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


async def run_level(url: str, key: str, uploads: list[tuple[bytes, str]], conc: int, time_limit: float) -> dict:
    lat: list[float] = []
    work: list[float] = []
    codes: dict[int, int] = {}
    correct = 0
    started = 0
    sem = asyncio.Semaphore(conc)
    deadline = time.monotonic() + time_limit
    limits = httpx.Limits(max_connections=conc + 2, max_keepalive_connections=conc + 2)
    async with httpx.AsyncClient(base_url=url, timeout=180, limits=limits) as client:

        async def one(i: int, data: bytes, truth: str):
            nonlocal correct, started
            async with sem:
                if time.monotonic() > deadline:
                    return
                started += 1
                t = time.perf_counter()
                r = await client.post("/v1/extractions", headers={"X-API-Key": key},
                                      files={"file": (f"bench_{i}.jpg", data, "image/jpeg")})
                dt = time.perf_counter() - t
                codes[r.status_code] = codes.get(r.status_code, 0) + 1
                if r.status_code == 200:
                    lat.append(dt)
                    body = r.json()
                    if isinstance(body.get("timings"), dict) and "total" in body["timings"]:
                        work.append(float(body["timings"]["total"]))
                    ids = [d["fields"].get("id_number", {}).get("value") for d in body["documents"]]
                    correct += truth in ids

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i, d, t) for i, (d, t) in enumerate(uploads)))
        wall = time.perf_counter() - t0
    return {"concurrency": conc, "requests": started, "ok": len(lat), "codes": codes, "wall_s": round(wall, 2),
            "rps": round(len(lat) / wall, 2) if wall else 0.0, "p50_s": round(pct(lat, 0.5), 3),
            "p95_s": round(pct(lat, 0.95), 3), "max_s": round(max(lat), 3) if lat else None,
            "id_number_correct": correct, "worker_s_p50": round(pct(work, 0.5), 3) if work else None}


def kill_check(srv: Server, key: str, uploads: list[tuple[bytes, str]], timeout: float = 240) -> dict:
    h = {"X-API-Key": key}
    ids = []
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        for i, (data, _) in enumerate(uploads):
            r = c.post("/v1/extractions", headers=h, params={"wait": "false"},
                       files={"file": (f"kill_{i}.jpg", data, "image/jpeg")})
            assert r.status_code in (200, 202), r.text
            ids.append(r.json()["id"])
        pids = c.get("/readyz").json().get("worker_pids", {})
        # wait for a job to be running; SIGKILL the worker holding it
        db = Path(srv.data_dir) / "matex.sqlite3"
        victim_pid = None
        killed_job = None
        t0 = time.monotonic()
        while victim_pid is None and time.monotonic() - t0 < 60:
            con = sqlite3.connect(db, timeout=30)
            row = con.execute("SELECT extraction_id, lease_owner FROM matex_job WHERE state='running' LIMIT 1").fetchone()
            con.close()
            if row:
                killed_job = row[0]
                idx = row[1].split(":")[1].lstrip("w")  # <host>:w<i>:<token>
                victim_pid = pids.get(idx)
            else:
                time.sleep(0.05)
        if victim_pid is None:
            return {"ok": False, "why": "no running job seen"}
        os.kill(int(victim_pid), signal.SIGKILL)
        t_kill = time.monotonic()
        pending = set(ids)
        while pending and time.monotonic() - t_kill < timeout:
            for eid in list(pending):
                r = c.get(f"/v1/extractions/{eid}", headers=h)
                if r.status_code == 200:
                    pending.discard(eid)
            time.sleep(0.3)
        recovered_s = time.monotonic() - t_kill
        ready = c.get("/readyz").json()
    con = sqlite3.connect(db, timeout=30)
    q = ",".join("?" * len(ids))
    versions = dict(con.execute(f"SELECT extraction_id, COUNT(*) FROM matex_result_version WHERE extraction_id IN ({q}) "
                                f"GROUP BY extraction_id", ids).fetchall())
    audits = dict(con.execute(f"SELECT object_id, COUNT(*) FROM matex_audit_log WHERE action='extraction' AND "
                              f"object_id IN ({q}) GROUP BY object_id", ids).fetchall())
    attempts = con.execute("SELECT attempts FROM matex_job WHERE extraction_id=?", (killed_job,)).fetchone()[0]
    con.close()
    verify = subprocess.run([sys.executable, "-m", "matex.cli", "audit", "verify", "--data-dir", srv.data_dir],
                            capture_output=True, text=True, env=srv.env, cwd=ROOT)
    lost = len(pending)
    dup = sum(1 for e in ids if versions.get(e, 0) > 1 or audits.get(e, 0) > 1)
    return {"ok": lost == 0 and dup == 0 and verify.returncode == 0 and all(versions.get(e) == 1 for e in ids),
            "jobs": len(ids), "lost": lost, "duplicated": dup, "killed_job_attempts": attempts,
            "all_done_after_kill_s": round(recovered_s, 1), "workers_alive_after": ready.get("workers_alive"),
            "audit_verify": verify.stdout.strip()}


from matex.commands.bench import machine  # noqa: E402  (one description for every benchmark)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--concurrency", default="1,4,16")
    ap.add_argument("--requests", default="12,24,48", help="uploads per level (bounded)")
    ap.add_argument("--time-limit", type=float, default=150, help="seconds per level at most")
    ap.add_argument("--kill-jobs", type=int, default=8)
    ap.add_argument("--no-kill", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the data dir")
    a = ap.parse_args(argv)
    levels = [int(x) for x in a.concurrency.split(",")]
    counts = [int(x) for x in a.requests.split(",")]
    counts += [counts[-1]] * (len(levels) - len(counts))
    print(f"machine: {machine()}", file=sys.stderr)
    t = time.perf_counter()
    total = 2 + sum(counts) + (0 if a.no_kill else a.kill_jobs)
    uploads = make_uploads(total)
    print(f"generated {total} distinct ID-card uploads in {time.perf_counter() - t:.1f} s "
          f"(median {statistics.median(len(d) for d, _ in uploads) / 1024:.0f} KiB)", file=sys.stderr)
    data_dir = tempfile.mkdtemp(prefix="matex-bench-api-")
    srv = Server(a.workers, a.engine, data_dir)
    rows = []
    kill = None
    try:
        key = srv.create_key()
        info = srv.start()
        print(f"server ready in {info['startup_s']} s: {srv.url}, worker pids {info.get('worker_pids')}", file=sys.stderr)
        pos = 0
        asyncio.run(run_level(srv.url, key, uploads[pos:pos + 2], 2, 120))  # warm-up (not counted)
        pos += 2
        for conc, n in zip(levels, counts):
            r = asyncio.run(run_level(srv.url, key, uploads[pos:pos + n], conc, a.time_limit))
            pos += n
            rows.append(r)
            print(json.dumps(r), file=sys.stderr)
        if not a.no_kill:
            kill = kill_check(srv, key, uploads[pos:pos + a.kill_jobs])
            print(json.dumps(kill), file=sys.stderr)
    finally:
        srv.stop()
        if not a.keep:
            import shutil

            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nmachine: {machine()}; `matex serve --workers {a.workers}` ({a.engine}), SQLite, loopback\n")
    print("| concurrency | requests | 200 | 202 | p50 s | p95 s | max s | req/s sustained | pipeline s/file in worker (p50) "
          "| id_number correct |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['concurrency']} | {r['requests']} | {r['codes'].get(200, 0)} | {r['codes'].get(202, 0)} "
              f"| {r['p50_s']} | {r['p95_s']} | {r['max_s']} | {r['rps']} | {r['worker_s_p50']} "
              f"| {'n/a (fake engine)' if a.engine == 'fake' else str(r['id_number_correct']) + '/' + str(r['ok'])} |")
    if kill is not None:
        print(f"\nkilled worker mid-job: {'OK' if kill['ok'] else 'FAILED'}: {kill['jobs']} jobs, lost {kill.get('lost')}, "
              f"duplicated {kill.get('duplicated')}, killed job's attempts {kill.get('killed_job_attempts')}, "
              f"all done {kill.get('all_done_after_kill_s')} s after the kill, workers alive after "
              f"{kill.get('workers_alive_after')}; {kill.get('audit_verify')}")
    print(json.dumps({"levels": rows, "kill": kill}))
    return 0 if (kill is None or kill["ok"]) and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
