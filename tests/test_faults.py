"""Faults, injected for real where we can: the database going away, the disk filling up, a
worker killed mid-job, the OCR engine failing on one page or killing its process, the OCR
failing on one input of a batch. Each test says what is simulated and what must happen.

Related tests elsewhere: tests/test_api_jobs.py::test_killed_worker_mid_job_loses_and_duplicates_nothing
(SIGKILL of a pool worker, its job given back by the supervisor), tests/test_batch_store.py::
test_a_worker_that_dies_is_replaced_and_its_input_recorded (a batch worker process dying).
"""
from __future__ import annotations

import errno
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api import audit, auth, jobs
from api.app import create_app
from api.blobs import BlobStore
from api.db import Database, normalize_url
from api.settings import Settings
from api.testing import free_port, png_bytes, wait_ready
from ocr.base import OcrEngine, register

pytestmark = pytest.mark.timeout(180)

PG_URL = os.environ.get("MATEX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def H(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def upload(c, key: str, data: bytes, name: str = "scan.png", wait: bool = False):
    return c.post("/v1/extractions", headers=H(key), params={"wait": str(wait).lower()},
                  files={"file": (name, data, "application/octet-stream")})


def assert_retry_later(r, status: int, code: str) -> None:
    """A JSON error body with the code, and a Retry-After (never a 500, never HTML)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"], body
    assert int(r.headers["retry-after"]) > 0


def count(db: Database, table, **where) -> int:
    with db.read() as c:
        q = sa.select(sa.func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return int(c.execute(q).scalar())


def wait_for(pred, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(every)
    raise TimeoutError(what)


# ================================================================== a. database unavailable
class TcpProxy:
    """127.0.0.1:<port> -> target. `down()` closes the listener and cuts every connection (the
    database host going away: sessions dropped, new connections refused); `up()` listens
    again on the same port (the database is back)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._socks: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None

    def up(self) -> None:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        ls.settimeout(0.1)
        self._listening.set()
        self._thread = threading.Thread(target=self._accept, args=(ls,), daemon=True)
        self._thread.start()

    def down(self) -> None:
        self._listening.clear()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            socks, self._socks = self._socks, set()
        for s in socks:
            _close(s)

    def _accept(self, ls: socket.socket) -> None:
        with ls:
            while self._listening.is_set():
                try:
                    c, _ = ls.accept()
                except socket.timeout:
                    continue
                try:
                    u = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _close(c)
                    continue
                c.settimeout(None)
                u.settimeout(None)
                with self._lock:
                    self._socks |= {c, u}
                for a, b in ((c, u), (u, c)):
                    threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_outage(request, tmp_path):
    """(settings, down, up): `down(state)` takes the database away under a running app, `up`
    brings it back.

    - sqlite: the volume holding the database file goes away (its directory is moved; the
      app's pooled connections are dropped, as an unmount would): `unable to open database file`.
    - postgresql: the app reaches the server through a TCP proxy that is shut (connections
      cut, then refused), then opened again: `connection refused`, `server closed the
      connection`. Skipped when no PostgreSQL is reachable (MATEX_TEST_PG)."""
    data = tmp_path / "data"
    if request.param == "sqlite":
        vol, away = tmp_path / "dbvol", tmp_path / "dbvol.away"
        s = Settings(data_dir=str(data), db_url=str(vol / "matex.sqlite3"), workers=0, engine="fake")

        def down(st):
            os.rename(vol, away)
            st.db.engine.dispose()

        def up(st):
            os.rename(away, vol)

        yield s, down, up
        return
    url = sa.engine.make_url(normalize_url(PG_URL))
    admin = sa.create_engine(url)
    try:
        with admin.connect() as c:
            c.exec_driver_sql("SELECT 1")
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.up()
    schema = f"matex_fault_{uuid.uuid4().hex[:10]}"
    via = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    s = Settings(data_dir=str(data), db_url=via, db_schema=schema, workers=0, engine="fake")
    try:
        yield s, (lambda st: proxy.down()), (lambda st: proxy.up())
    finally:
        proxy.down()
        with admin.begin() as c:
            c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def test_database_outage_gives_503_and_the_service_recovers_without_restart(db_outage):
    s, down, up = db_outage
    app = create_app(s)
    st = app.state.matex
    key = auth.create_key(st.db, "portal", "t")
    fresh = auth.create_key(st.db, "portal", "t")  # not used (so not cached) before the outage
    with TestClient(app) as c:
        assert c.get("/readyz").status_code == 200
        r = upload(c, key, png_bytes(seed=1))
        assert r.status_code == 202, r.text
        eid = r.json()["id"]
        assert c.get("/v1/extractions", headers=H(key)).status_code == 200
        down(st)
        try:
            assert_retry_later(c.get("/v1/extractions", headers=H(key)), 503, "database_unavailable")
            assert_retry_later(c.get(f"/v1/extractions/{eid}", headers=H(key)), 503, "database_unavailable")
            # the key lookup itself needs the database: a 503, not a 401 that would look final
            assert_retry_later(c.get("/v1/extractions", headers=H(fresh)), 503, "database_unavailable")
            # an upload is not accepted (it could not be queued): the client retries it
            assert_retry_later(upload(c, key, png_bytes(seed=2)), 503, "database_unavailable")
            r = c.get("/readyz")
            assert r.status_code == 503 and r.json()["status"] == "not_ready"
            assert r.json()["checks"]["database"] is False
            assert c.get("/healthz").status_code == 200  # alive: restarting it would not help
            assert c.get("/metrics").status_code == 200
        finally:
            up(st)
        # back, same process: no restart
        assert c.get("/readyz").status_code == 200
        r = c.get("/v1/extractions", headers=H(fresh))
        assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [eid]  # nothing half-recorded
        r = upload(c, key, png_bytes(seed=2))  # the refused upload, again
        assert r.status_code == 202, r.text
        assert c.get(f"/v1/extractions/{r.json()['id']}", headers=H(key)).status_code == 202
    assert audit.verify(st.db).ok


# ================================================================== b. disk full
def _fill(path: Path) -> None:
    """Write a filler file until the filesystem is full."""
    fd = os.open(path / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 16, 1 << 12, 1):
            while True:
                try:
                    os.write(fd, b"\0" * chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)


@pytest.fixture(params=["tmpfs", "fsync"])
def full_disk(request, tmp_path, monkeypatch):
    """(data_dir, fill, free): the upload storage fills up, then space is freed.

    - tmpfs (real): data_dir is a 2 MiB tmpfs, filled with a filler file: writes fail with
      ENOSPC. Needs root (mount); skipped otherwise.
    - fsync: the data is written but its fsync fails with ENOSPC (as on NFS or with delayed
      allocation), simulated by wrapping os.fsync for files under data_dir only."""
    data = tmp_path / "vol"
    data.mkdir()
    if request.param == "tmpfs":
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("mounting a tmpfs needs root")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(data)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs: {r.stderr.strip()}")
        try:
            yield data, (lambda: _fill(data)), (lambda: (data / "filler").unlink())
        finally:
            subprocess.run(["umount", "-l", str(data)], capture_output=True)
        return
    full = threading.Event()
    real_fsync = os.fsync

    def fsync(fd):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if full.is_set() and target.startswith(str(data)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    yield data, full.set, full.clear


def test_disk_full_on_upload_stores_nothing_and_the_next_upload_succeeds(full_disk, tmp_path):
    data_dir, fill, free = full_disk
    s = Settings(data_dir=str(data_dir), db_url=str(tmp_path / "db" / "matex.sqlite3"), workers=0, engine="fake")
    app = create_app(s)
    st = app.state.matex
    key = auth.create_key(st.db, "portal", "t")
    img = png_bytes(w=640, h=480, seed=5)
    with TestClient(app) as c:
        fill()
        r = upload(c, key, img)
        assert_retry_later(r, 507, "insufficient_storage")
        # nothing half-written: no blob, no temporary file, no extraction or job row
        assert [p for p in s.blob_dir.rglob("*") if p.is_file()] == []
        assert count(st.db, st.db.t.extraction) == 0 and count(st.db, st.db.t.job) == 0
        free()
        r = upload(c, key, img)
        assert r.status_code == 202, r.text
        sha = r.json()["sha256"]
        assert st.blobs.exists(sha) and st.blobs.get(sha) == img
        assert count(st.db, st.db.t.extraction) == 1 and count(st.db, st.db.t.job, state="queued") == 1


# ================================================================== c. worker killed mid-job
def test_worker_killed_mid_job_without_a_supervisor_is_reclaimed_after_its_lease(tmp_path):
    """Two stand-alone worker processes (`matex serve --worker-only`: no supervisor to give the
    job back): A is SIGKILLed while it holds the job; B takes it when A's lease expires and
    finishes it, exactly once."""
    from api.worker import run_worker

    s = Settings(data_dir=str(tmp_path), workers=0, engine="fake", fake_delay_s=2.0, lease_s=1.5, poll_s=0.1)
    db = Database(s.database_url)
    blobs = BlobStore(s.blob_dir)
    data = png_bytes(seed=21)
    ext = jobs.submit(db, tenant="t", sha256=blobs.put(data), source="k.png", size=len(data), kind="png",
                      actor="test", key_id=None).extraction
    eid = ext["id"]
    ctx = mp.get_context("spawn")
    a = ctx.Process(target=run_worker, args=(s,), kwargs={"owner": "worker-A"}, daemon=True)
    a.start()
    b = None
    try:
        wait_for(lambda: jobs.running_owner(db, eid) == "worker-A", 60, "worker A did not take the job")
        os.kill(a.pid, signal.SIGKILL)
        a.join(10)
        t_kill = time.monotonic()
        assert jobs.get_job(db, eid)["state"] == "running"  # held by a dead worker until its lease expires
        b = ctx.Process(target=run_worker, args=(s,), kwargs={"owner": "worker-B"}, daemon=True)
        b.start()
        wait_for(lambda: jobs.get_extraction(db, eid, None)["status"] == "done", 60, "the job was not finished")
        assert time.monotonic() - t_kill >= 0.5  # not before A's lease (1.5 s from its last beat) expired
    finally:
        for p in (a, b):
            if p is not None and p.is_alive():
                p.terminate()
                p.join(10)
    job = jobs.get_job(db, eid)
    assert job["state"] == "done" and job["attempts"] == 2
    t = db.t
    assert count(db, t.result_version, extraction_id=eid) == 1
    with db.read() as conn:
        actor = conn.execute(sa.select(t.result_version.c.actor)
                             .where(t.result_version.c.extraction_id == eid)).scalar()
        acts = conn.execute(sa.select(t.audit_log.c.action).where(t.audit_log.c.object_id == eid)).scalars().all()
    assert actor == "worker:worker-B" and acts.count("extraction") == 1
    assert audit.verify(db).ok
    db.dispose()


# ================================================================== d. OCR engine crashes
def _marked(image) -> bool:
    """The page that crashes the engine: pure blue."""
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] < 3 or img.size == 0:
        return False
    m = img[..., :3].reshape(-1, 3).mean(axis=0)
    return bool(m[0] > 200 and m[1] < 60 and m[2] < 60)


def blue_page(w: int = 900, h: int = 1200) -> bytes:
    ok, buf = cv2.imencode(".png", np.full((h, w, 3), (255, 0, 0), np.uint8))
    assert ok
    return buf.tobytes()


class CrashOnMarkedPage(OcrEngine):
    """A real engine, wrapped: it raises (as a failing native engine does) on the marked page."""

    def __init__(self, inner: OcrEngine):
        super().__init__(inner.options)
        self.inner = inner
        self.crashes = 0

    def _check(self, image) -> None:
        if _marked(image):
            self.crashes += 1
            raise RuntimeError("simulated OCR engine crash")

    def recognize(self, image, det_side=None):
        self._check(image)
        return self.inner.recognize(image, det_side)

    def recognize_crops(self, crops):
        for c in crops:
            self._check(c)
        return self.inner.recognize_crops(crops)

    def recognize_lines(self, crops):
        for c in crops:
            self._check(c)
        return self.inner.recognize_lines(crops)


@pytest.fixture(scope="module")
def rapid():
    from ocr import OcrOptions, create_engine
    from ocr.base import EngineUnavailable

    try:
        return create_engine(OcrOptions(kind="rapidocr", threads=1))
    except EngineUnavailable as exc:
        pytest.skip(f"rapidocr not available: {exc}")


def test_engine_crash_on_page_2_gives_a_partial_result_with_that_page_itemised(tmp_path, rapid):
    """A 3-page TIFF (ID card, the page that crashes the engine, ID card) through the service:
    upload, a worker's job (the real pipeline and rapidocr, wrapped), the result over HTTP."""
    from batch.backlog import tiff_of
    from extract.pipeline import Pipeline, PipelineOptions
    from ocr import OcrOptions

    from api.testing import id_card
    from api.worker import process_one

    card, truth = id_card(seed=3)
    tif = tiff_of([card, blue_page(), card])
    engine = CrashOnMarkedPage(rapid)
    pipe = Pipeline(PipelineOptions(ocr=OcrOptions(kind="rapidocr", threads=1)), engine=engine)
    s = Settings(data_dir=str(tmp_path), workers=0, engine="fake")
    app = create_app(s)
    st = app.state.matex
    key = auth.create_key(st.db, "portal", "t")
    with TestClient(app) as c:
        r = upload(c, key, tif, "claim.tif")
        assert r.status_code == 202, r.text
        eid = r.json()["id"]
        note = process_one(st.db, st.blobs, pipe, None, "W", s)
        assert note["state"] == "done" and note["extraction_id"] == eid
        assert engine.crashes >= 1
        r = c.get(f"/v1/extractions/{eid}", headers=H(key))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "done" and body["pages"] == 3
    assert body["partial"] is True
    assert [(e["code"], e["page"]) for e in body["errors"]] == [("page_failed", 2)]
    assert "simulated OCR engine crash" in body["errors"][0]["message"]
    assert sorted({d["page"] for d in body["documents"]}) == [1, 3]
    for p in (1, 3):
        doc = next(d for d in body["documents"] if d["page"] == p)
        assert doc["type"] == "id_card_front"
        assert doc["fields"]["id_number"]["value"] == truth["id_number"]
    assert jobs.get_job(st.db, eid)["attempts"] == 1  # a page error is a result, not a retry


def test_worker_process_crash_is_retried_then_failed_with_a_clear_error(tmp_path):
    """The fake engine kills its worker process with SIGSEGV on a marked upload (as a crash in
    a native OCR library would): the supervisor restarts the worker and gives the job back;
    after max_attempts the job is failed with a clear error; the upload is kept; the next
    upload is processed normally."""
    from api.worker import FAKE_CRASH_SEGFAULT

    s = Settings(data_dir=str(tmp_path), workers=1, engine="fake", poll_s=0.1, max_attempts=2, sync_timeout_s=30)
    app = create_app(s)
    st = app.state.matex
    key = auth.create_key(st.db, "portal", "t")
    poison = png_bytes(seed=31) + FAKE_CRASH_SEGFAULT
    with TestClient(app) as c:
        wait_ready(c)
        r = upload(c, key, poison, "poison.png")
        assert r.status_code == 202, r.text
        eid, sha = r.json()["id"], r.json()["sha256"]

        def finished():
            r = c.get(f"/v1/extractions/{eid}", headers=H(key))
            return r if r.status_code == 200 else None

        r = wait_for(finished, 120, "the poison job was not failed", every=0.25)
        body = r.json()
        assert body["status"] == "failed" and body["documents"] == []
        (err,) = body["errors"]
        assert err["code"] == "processing_failed"
        assert "gave up after 2 attempts" in err["message"] and "SIGSEGV" in err["message"], err
        job = jobs.get_job(st.db, eid)
        assert job["state"] == "failed" and job["attempts"] == 2
        assert st.pool.restarts >= 2
        assert st.blobs.exists(sha) and st.blobs.get(sha) == poison  # the upload is never lost
        wait_ready(c)
        r = upload(c, key, png_bytes(seed=32), wait=True)  # the pool works on
        assert r.status_code == 200 and r.json()["status"] == "done", r.text
    assert count(st.db, st.db.t.result_version, extraction_id=eid) == 1


# ================================================================== e. batch
@register("fault_marked")
class NoTextCrashOnMarked(OcrEngine):
    """An engine of the registry (kind `fault_marked`): it reads no text, and raises on the
    marked page, as a failing native engine would."""

    def recognize(self, image, det_side=None):
        if _marked(image):
            raise RuntimeError("simulated OCR engine crash")
        return []

    def recognize_crops(self, crops):
        if any(_marked(c) for c in crops):
            raise RuntimeError("simulated OCR engine crash")
        return [("", 0.0) for _ in crops]


def test_batch_records_an_ocr_crash_on_one_input_and_goes_on(tmp_path, monkeypatch):
    """`matex batch` with an engine that raises on one input: that input is recorded in the
    manifest (and results.jsonl) as an error, the others are done. (A worker process dying
    on an input: tests/test_batch_store.py::test_a_worker_that_dies_is_replaced_and_its_input_recorded.)"""
    import sqlite3

    import ocr
    from batch import BatchOptions, run_batch, verify
    from batch.store import iter_lines

    monkeypatch.setitem(ocr.ENGINE_MODULES, "fault_marked", __name__)
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.png").write_bytes(png_bytes(seed=41))
    (src / "crash.png").write_bytes(blue_page(400, 300))
    (src / "c.png").write_bytes(png_bytes(seed=42))
    out = tmp_path / "out"
    summary = run_batch([str(src)], out, BatchOptions(workers=0, engine="fault_marked", progress=False, reports=False))
    assert summary.status == "finished" and summary.errors == 1 and summary.processed == 3
    con = sqlite3.connect(out / "manifest.sqlite")
    rows = {k: (st, json.loads(codes)) for k, st, codes in con.execute("SELECT key, status, error_codes FROM inputs")}
    con.close()
    assert rows["in/crash.png"] == ("error", ["page_failed"])
    assert rows["in/a.png"][0] == "done" and rows["in/c.png"][0] == "done"
    res = {r["source"]: r for r in iter_lines(out)}
    assert "simulated OCR engine crash" in res["in/crash.png"]["errors"][0]["message"]
    assert verify(out)["ok"]
