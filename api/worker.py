"""OCR worker processes and their supervisor.

Each worker is a separate process (spawned, never forked from the server) holding one pipeline
and so one OCR engine (PaddleOCR is not thread-safe; one engine per process). It loops: claim a
job from the database, read the upload from disk, run the pipeline, cross-check against the
golden store when one is configured, and write the result together with the job's end.

The server's `WorkerPool` starts the workers, rings a doorbell when a job is queued (so an idle
worker starts at once instead of at its next poll), hears back when a job is done (so a waiting
synchronous request answers at once) and restarts a worker that died, first giving its jobs back
to the queue. None of that is needed for correctness: the database is the only truth, workers
also poll it, and a job whose worker vanished is re-claimed when its lease expires — so workers
can also run on their own (`run_worker`, `matex serve --worker-only`).
"""
from __future__ import annotations

import hashlib
import logging
import multiprocessing as mp
import os
import queue as _queue
import signal
import socket
import threading
import time
import traceback
import uuid
from dataclasses import asdict
from typing import Any, Callable

from api import jobs
from api.blobs import BlobStore
from api.db import Database
from api.settings import Settings
from matex.privacy import redact

log = logging.getLogger("matex.api.worker")


# ------------------------------------------------------------------------------ pipelines
# Test hook of the fake engine only: an upload whose last bytes carry one of these markers
# (after a PNG's IEND chunk, say) kills the worker process the way a crash in a native OCR
# library would, so that tests can check retries, max_attempts and the supervisor.
FAKE_CRASH_SEGFAULT = b"MATEX-FAKE-SEGFAULT"
FAKE_CRASH_EXIT = b"MATEX-FAKE-EXIT"


def _fake_crash(data: bytes) -> None:
    tail = data[-64:]
    if FAKE_CRASH_SEGFAULT in tail:
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(5)  # the signal is delivered before this ends
    if FAKE_CRASH_EXIT in tail:
        os._exit(70)


class FakePipeline:
    """No OCR: a deterministic ID-card result per readable page (for tests of the machinery).
    Input errors come from the real input stage."""

    def __init__(self, delay_s: float = 0.0, max_pixels: int = 60_000_000):
        self.delay_s = delay_s
        self.max_pixels = max_pixels

    def extract_bytes(self, data: bytes, source: str = "upload"):
        from extract.inputs import InputLimits, load_bytes
        from schemas.result import DocumentResult, ExtractionResult, FieldResult

        _fake_crash(data)
        sha = hashlib.sha256(data).hexdigest()
        res = ExtractionResult(source=source, sha256=sha)
        loaded = load_bytes(data, InputLimits(max_pixels=self.max_pixels))
        res.pages = loaded.page_count
        n = int(sha[:8], 16)
        for page in loaded.pages():
            h, w = page.image.shape[:2]
            first17 = f"110105{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
            wts = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
            idn = first17 + "10X98765432"[sum(int(c) * k for c, k in zip(first17, wts)) % 11]
            conf = 0.80 + (n % 20) / 100  # 0.80 .. 0.99
            doc = DocumentResult(type="id_card_front", page=page.number, region=[0, 0, w, h], confidence=0.99,
                                 needs_review=conf < 0.9)
            doc.fields = {
                "name": FieldResult(value="张三", confidence=0.99, bbox=[w * .15, h * .1, w * .4, h * .2],
                                    page=page.number, raw="张三", checks=[]),
                "id_number": FieldResult(value=idn, confidence=round(conf, 4), bbox=[w * .3, h * .8, w * .9, h * .9],
                                         page=page.number, raw=idn, checks=["checksum_ok"]),
            }
            if conf < 0.9:
                doc.review_reasons = [f"id_number: confidence {conf:.2f} below 0.9"]  # type: ignore[attr-defined]
            res.documents.append(doc)
        res.errors[:0] = loaded.errors
        if self.delay_s:
            time.sleep(self.delay_s)
        res.engine = "fake"  # type: ignore[attr-defined]
        return res


def make_pipeline(settings: Settings):
    if settings.engine == "fake":
        return FakePipeline(settings.fake_delay_s, settings.max_pixels)
    from extract.inputs import InputLimits
    from extract.pipeline import Pipeline, PipelineOptions
    from ocr import OcrOptions, create_engine

    threads = int(settings.extra.get("ocr_threads") or max(1, (os.cpu_count() or 2) // max(1, settings.workers)))
    kw: dict[str, Any] = {}
    if settings.review_threshold is not None:
        kw["review_threshold"] = settings.review_threshold
    opts = PipelineOptions(ocr=OcrOptions(kind=settings.engine, threads=threads),
                           limits=InputLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_pixels), **kw)
    return Pipeline(opts, engine=create_engine(opts.ocr))


def make_crosscheck(settings: Settings) -> Callable[[Any], Any] | None:
    if not settings.golden_db:
        return None
    try:
        import crosscheck
    except ImportError:
        log.warning("golden DB configured but crosscheck/ is not available: cross-check skipped")
        return None
    store = crosscheck.open_store(settings.golden_db, mapping=settings.golden_mapping)

    def check(result):
        return crosscheck.check_result(result, store)

    return check


# ------------------------------------------------------------------------------ the loop
class _Heartbeat(threading.Thread):
    def __init__(self, db: Database, job_id: str, owner: str, lease_s: float):
        super().__init__(daemon=True)
        self.db, self.job_id, self.owner, self.lease_s = db, job_id, owner, lease_s
        self.stop = threading.Event()
        self.lost = False

    def run(self) -> None:
        while not self.stop.wait(max(0.2, self.lease_s / 3)):
            try:
                if not jobs.heartbeat(self.db, self.job_id, self.owner, self.lease_s):
                    self.lost = True
                    return
            except Exception:  # a busy DB: try again at the next beat
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)


def process_one(db: Database, blobs: BlobStore, pipeline, check, owner: str, settings: Settings) -> dict | None:
    """Claim and process one job; returns a note about it, or None when the queue is empty."""
    job = jobs.claim(db, owner, settings.lease_s)
    if job is None:
        return None
    ext = job["extraction"] or {}
    eid = job["extraction_id"]
    hb = _Heartbeat(db, job["id"], owner, settings.lease_s)
    hb.start()
    t0 = time.perf_counter()
    try:
        try:
            data = blobs.get(ext["sha256"])
        except (OSError, KeyError, ValueError) as exc:
            state = jobs.fail(db, job["id"], owner, f"upload missing: {exc}", retry=False)
            return {"extraction_id": eid, "state": state}
        try:
            result = pipeline.extract_bytes(data, source=ext.get("source") or "upload")
            if check is not None and result.documents:
                try:
                    check(result)
                except Exception as exc:
                    log.warning("cross-check of %s failed: %s", eid, exc)
            out = result.to_json_dict()
        except Exception as exc:  # the engine failed: another attempt, perhaps elsewhere
            log.error("job %s failed: %s", job["id"], traceback.format_exc(limit=5))
            state = jobs.fail(db, job["id"], owner, redact(f"{type(exc).__name__}: {exc}"), retry=True)
            return {"extraction_id": eid, "state": state}
        elapsed = time.perf_counter() - t0
        ok = jobs.complete(db, job["id"], owner, out, elapsed)
        return {"extraction_id": eid, "state": "done" if ok else "lost", "seconds": elapsed,
                "status": "failed" if not out.get("pages") and out.get("errors") else "done"}
    finally:
        hb.stop.set()


def run_worker(settings: Settings, owner: str | None = None, doorbell=None, events=None, stop=None,
               index: int = 0) -> None:
    """A worker's main loop (in its own process)."""
    from matex.privacy import RedactingFilter

    logging.basicConfig(level=getattr(logging, settings.log_level.upper(), logging.INFO),
                        format=f"%(asctime)s worker{index} %(levelname)s %(name)s: %(message)s")
    for h in logging.getLogger().handlers:
        h.addFilter(RedactingFilter())
    owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    db = Database(settings.database_url, settings.table_prefix, settings.db_schema, create=True)
    blobs = BlobStore.for_settings(settings)
    pipeline = make_pipeline(settings)
    if settings.engine != "fake":
        _warm_up(pipeline)
    check = make_crosscheck(settings)
    stopping = stop or threading.Event()
    if stop is None:
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if events is not None:
        events.put(("ready", index, os.getpid(), owner))
    log.info("worker %s ready (engine %s)", owner, settings.engine)
    while not stopping.is_set():
        try:
            note = process_one(db, blobs, pipeline, check, owner, settings)
        except Exception:
            log.error("worker loop error: %s", traceback.format_exc(limit=5))
            note = None
            time.sleep(settings.poll_s)
        if note is not None:
            if events is not None:
                events.put(("done", index, note))
            continue
        if doorbell is not None:
            try:
                doorbell.get(timeout=settings.poll_s)
            except (_queue.Empty, EOFError, OSError):
                pass
        else:
            stopping.wait(settings.poll_s)
    db.dispose()


def _warm_up(pipeline) -> None:
    """Load the model and run it once, so that the first real job is not slow."""
    try:
        import numpy as np

        pipeline.engine.recognize(np.full((64, 256, 3), 255, dtype=np.uint8))
    except Exception:
        log.warning("warm-up failed", exc_info=True)


def _child_main(settings_dict: dict, owner: str, doorbell, events, stop, index: int) -> None:
    os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server shuts us down with `stop`
    run_worker(Settings(**settings_dict), owner=owner, doorbell=doorbell, events=events, stop=stop, index=index)


# ------------------------------------------------------------------------------ supervisor
class WorkerPool:
    """Starts `settings.workers` processes and keeps them running."""

    def __init__(self, settings: Settings, db: Database, on_done: Callable[[dict], None] | None = None):
        self.settings = settings
        self.db = db
        self.on_done = on_done
        self.ctx = mp.get_context("spawn")
        self.doorbell = self.ctx.Queue()
        self.events = self.ctx.Queue()
        self.stop_event = self.ctx.Event()
        self.procs: dict[int, tuple[Any, str]] = {}
        self.ready: set[int] = set()
        self.restarts = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle
    def start(self) -> None:
        for i in range(self.settings.workers):
            self._spawn(i)
        for target in (self._listen, self._supervise):
            th = threading.Thread(target=target, daemon=True, name=f"matex-{target.__name__}")
            th.start()
            self._threads.append(th)

    def _spawn(self, i: int) -> None:
        owner = f"{socket.gethostname()}:w{i}:{uuid.uuid4().hex[:10]}"
        sd = asdict(self.settings)
        p = self.ctx.Process(target=_child_main, args=(sd, owner, self.doorbell, self.events, self.stop_event, i),
                             name=f"matex-worker-{i}", daemon=True)
        p.start()
        self.procs[i] = (p, owner)
        self.ready.discard(i)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.stop_event.set()
        for _ in self.procs:
            try:
                self.doorbell.put_nowait(None)
            except Exception:
                pass
        deadline = time.monotonic() + timeout
        for p, _ in list(self.procs.values()):
            p.join(max(0.1, deadline - time.monotonic()))
        for p, _ in list(self.procs.values()):
            if p.is_alive():
                p.terminate()
                p.join(2)
        for _, owner in list(self.procs.values()):  # jobs cut short go back to the queue now
            try:
                jobs.release_owner(self.db, owner)
            except Exception:
                log.warning("could not release the jobs of %s (their leases will expire)", owner)
        try:
            self.events.put_nowait(("stop", -1, None))
        except Exception:
            pass
        for th in self._threads:
            th.join(2)
        for q in (self.doorbell, self.events):
            q.close()
            q.cancel_join_thread()

    # -- signals
    def ring(self, n: int = 1) -> None:
        for _ in range(min(n, max(1, len(self.procs)))):
            try:
                self.doorbell.put_nowait(1)
            except Exception:
                pass

    def pids(self) -> dict[int, int]:
        return {i: p.pid for i, (p, _) in self.procs.items() if p.is_alive()}

    def owners(self) -> dict[int, str]:
        return {i: o for i, (_, o) in self.procs.items()}

    def alive(self) -> int:
        return sum(1 for p, _ in self.procs.values() if p.is_alive())

    # -- threads
    def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                ev = self.events.get(timeout=0.5)
            except _queue.Empty:
                continue
            except (EOFError, OSError):
                return
            kind = ev[0]
            if kind == "ready":
                self.ready.add(ev[1])
            elif kind == "done" and self.on_done is not None:
                try:
                    self.on_done(ev[2])
                except Exception:
                    log.exception("on_done failed")
            elif kind == "stop":
                return

    def _supervise(self) -> None:
        while not self._stopping.wait(0.25):
            for i, (p, owner) in list(self.procs.items()):
                if p.is_alive() or self._stopping.is_set():
                    continue
                how = describe_exit(p.exitcode)
                log.warning("worker %d (pid %s) %s; giving its jobs back and restarting", i, p.pid, how)
                try:
                    n = jobs.release_owner(self.db, owner, f"worker {owner} {how} while processing this job")
                    if n:
                        log.warning("worker %d: %d job(s) back in the queue", i, n)
                except Exception:
                    log.exception("could not release the jobs of %s (their leases will expire)", owner)
                self.restarts += 1
                self._spawn(i)
                self.ring(len(self.procs))


def describe_exit(code: int | None) -> str:
    """`was killed by signal SIGSEGV`, `exited with status 70`."""
    if code is None:
        return "vanished"
    if code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"
