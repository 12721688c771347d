"""Durable work: leases, re-claims, attempts, idempotent completion, restarts, killed workers."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api import audit, auth, jobs
from api.app import create_app
from api.blobs import BlobStore
from api.db import Database
from api.settings import Settings
from api.testing import png_bytes, wait_ready

pytestmark = pytest.mark.timeout(120)


def _db(tmp_path, prefix="matex_") -> Database:
    return Database(str(tmp_path / "jobs.sqlite3"), prefix)


def _submit(db: Database, blobs: BlobStore | None, n: int = 1, tenant: str = "t", max_attempts: int = 3):
    out = []
    for i in range(n):
        data = png_bytes(seed=1000 + i)
        sha = blobs.put(data) if blobs else __import__("hashlib").sha256(data).hexdigest()
        out.append(jobs.submit(db, tenant=tenant, sha256=sha, source=f"f{i}.png", size=len(data), kind="png",
                               actor="test", key_id=None, max_attempts=max_attempts).extraction)
    return out


def _result(ext) -> dict:
    return {"source": ext["source"], "sha256": ext["sha256"], "pages": 1, "documents": [], "errors": []}


def _count(db: Database, table, **where) -> int:
    with db.read() as c:
        q = sa.select(sa.func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return int(c.execute(q).scalar())


def lease_cycle(db: Database) -> None:
    """A worker's lease expires, another re-claims; the first one's late result is refused."""
    (ext,) = _submit(db, None)
    a = jobs.claim(db, "A", lease_s=5)
    assert a and a["attempts"] == 1 and a["extraction_id"] == ext["id"]
    assert jobs.claim(db, "B", lease_s=5) is None  # leased
    assert jobs.heartbeat(db, a["id"], "A", 0.4)  # the last beat: A then dies or hangs
    time.sleep(0.6)
    b = jobs.claim(db, "B", lease_s=30)
    assert b and b["id"] == a["id"] and b["attempts"] == 2
    assert not jobs.heartbeat(db, a["id"], "A", 30)  # A learns it lost the lease
    assert jobs.complete(db, a["id"], "A", _result(ext)) is False  # and its result is not written
    assert jobs.complete(db, b["id"], "B", _result(ext)) is True
    assert jobs.complete(db, b["id"], "B", _result(ext)) is False  # idempotent: not twice
    t = db.t
    assert _count(db, t.result_version, extraction_id=ext["id"]) == 1
    assert jobs.get_extraction(db, ext["id"], "t")["status"] == "done"
    with db.read() as c:
        acts = c.execute(sa.select(t.audit_log.c.action).where(t.audit_log.c.object_id == ext["id"])).scalars().all()
    assert acts.count("extraction") == 1 and acts.count("upload") == 1
    assert audit.verify(db).ok


def test_lease_expiry_reclaim_and_idempotent_completion(tmp_path):
    lease_cycle(_db(tmp_path))


def test_attempts_exhausted_fails_the_job_with_a_contract_error(tmp_path):
    db = _db(tmp_path)
    (ext,) = _submit(db, None, max_attempts=2)
    for owner in ("A", "B"):
        assert jobs.claim(db, owner, lease_s=0.05)
        time.sleep(0.1)  # each worker dies holding it (a poison file)
    assert jobs.claim(db, "C", lease_s=10) is None  # given up, not handed to a third worker
    e = jobs.get_extraction(db, ext["id"], None)
    assert e["status"] == "failed"
    import json

    res = json.loads(e["result"])
    assert res["pages"] == 0 and res["documents"] == [] and res["errors"][0]["code"] == "processing_failed"
    assert jobs.get_job(db, ext["id"])["state"] == "failed"


def test_engine_failure_is_retried_then_failed(tmp_path):
    db = _db(tmp_path)
    (ext,) = _submit(db, None, max_attempts=2)
    j = jobs.claim(db, "A", 30)
    assert jobs.fail(db, j["id"], "A", "RuntimeError: boom") == "queued"
    j = jobs.claim(db, "B", 30)
    assert j["attempts"] == 2
    assert jobs.fail(db, j["id"], "B", "RuntimeError: boom") == "failed"
    assert jobs.get_extraction(db, ext["id"], None)["status"] == "failed"
    assert jobs.fail(db, j["id"], "B", "again") == ""  # no longer B's


def test_concurrent_claims_take_each_job_once(tmp_path):
    db = _db(tmp_path)
    exts = _submit(db, None, n=24)
    taken: list[str] = []
    lock = threading.Lock()

    def worker(name):
        d = Database(db.url, db.prefix, create=False)  # own engine, as a process would have
        while True:
            j = jobs.claim(d, name, 30)
            if j is None:
                return
            with lock:
                taken.append(j["id"])
            jobs.complete(d, j["id"], name, _result(j["extraction"]))

    ths = [threading.Thread(target=worker, args=(f"W{i}",)) for i in range(6)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(60)
    assert len(taken) == len(set(taken)) == len(exts)
    assert _count(db, db.t.result_version) == len(exts)
    assert audit.verify(db).ok


def test_restart_loses_no_accepted_job(tmp_path):
    s = Settings(data_dir=str(tmp_path), workers=0, engine="fake", poll_s=0.1)
    app = create_app(s)
    key = auth.create_key(app.state.matex.db, "portal", "t")
    with TestClient(app) as c:  # a server with no worker running: the upload is only accepted
        r = c.post("/v1/extractions", headers={"X-API-Key": key}, params={"wait": "false"},
                   files={"file": ("a.png", png_bytes(seed=7), "image/png")})
        assert r.status_code == 202
        eid = r.json()["id"]
    # "restart": a new app on the same database and data dir, now with a worker
    app2 = create_app(s.with_(workers=1))
    with TestClient(app2) as c:
        wait_ready(c)
        deadline = time.monotonic() + 30
        while True:
            r = c.get(f"/v1/extractions/{eid}", headers={"X-API-Key": key})
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["pages"] == 1


def test_killed_worker_mid_job_loses_and_duplicates_nothing(tmp_path):
    s = Settings(data_dir=str(tmp_path), workers=2, engine="fake", fake_delay_s=0.8, poll_s=0.1, lease_s=30,
                 sync_timeout_s=0.3)
    app = create_app(s)
    st = app.state.matex
    key = auth.create_key(st.db, "portal", "t")
    n = 4
    with TestClient(app) as c:
        wait_ready(c)
        ids = []
        for i in range(n):
            # the first one asks for a synchronous answer, but the worker takes longer than
            # sync_timeout_s: the request falls back to 202 + job id (the OCR goes on in the worker)
            params = {} if i == 0 else {"wait": "false"}
            r = c.post("/v1/extractions", headers={"X-API-Key": key}, params=params,
                       files={"file": (f"k{i}.png", png_bytes(seed=300 + i), "image/png")})
            assert r.status_code == 202, r.text
            assert r.json()["status"] in ("queued", "running") and r.headers["location"].endswith(r.json()["id"])
            ids.append(r.json()["id"])
        assert 'matex_uploads_total{outcome="sync_timeout"} 1.0' in c.get("/metrics").text
        # wait until a job is being worked on, then kill its worker with SIGKILL
        deadline = time.monotonic() + 20
        victim = owner = None
        while time.monotonic() < deadline and owner is None:
            for eid in ids:
                owner = jobs.running_owner(st.db, eid)
                if owner:
                    victim = eid
                    break
            time.sleep(0.05)
        assert owner, "no job started"
        idx = next(i for i, o in st.pool.owners().items() if o == owner)
        pid = st.pool.pids()[idx]
        os.kill(pid, signal.SIGKILL)
        # everything finishes anyway
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = [jobs.get_extraction(st.db, e, None)["status"] for e in ids]
            if all(x == "done" for x in states):
                break
            time.sleep(0.2)
        assert states == ["done"] * n
        assert st.pool.restarts >= 1 and st.pool.alive() == 2
        t = st.db.t
        for eid in ids:
            assert _count(st.db, t.result_version, extraction_id=eid) == 1
            with st.db.read() as conn:
                acts = conn.execute(sa.select(t.audit_log.c.action).where(t.audit_log.c.object_id == eid)).scalars().all()
            assert acts.count("extraction") == 1
        assert jobs.get_job(st.db, victim)["attempts"] == 2
        assert _count(st.db, t.job, state="done") == n
        assert audit.verify(st.db).ok


def test_worker_fills_the_golden_crosscheck_when_configured(tmp_path):
    """The worker's path: claim, read the stored upload, extract, cross-check, complete."""
    pytest.importorskip("crosscheck")
    import json

    from crosscheck import import_rows, open_store

    from api.worker import FakePipeline, make_crosscheck, process_one

    golden = tmp_path / "golden.sqlite3"
    s = Settings(data_dir=str(tmp_path / "data"), workers=0, engine="fake", golden_db=str(golden))
    db = Database(s.database_url)
    blobs = BlobStore(s.blob_dir)
    a, b = _submit(db, blobs, n=2)
    pipe = FakePipeline()
    # the golden store knows the person on the first upload (same ID number, same name) only
    first = pipe.extract_bytes(blobs.get(a["sha256"]), "x").documents[0].fields
    import_rows([{"id_number": first["id_number"].value, "name": first["name"].value}], open_store(str(golden)))
    check = make_crosscheck(s)
    assert check is not None
    notes = [process_one(db, blobs, pipe, check, "W", s) for _ in range(2)]
    assert {n["state"] for n in notes} == {"done"}
    assert process_one(db, blobs, pipe, check, "W", s) is None  # queue empty
    ra = json.loads(jobs.get_extraction(db, a["id"], None)["result"])
    rb = json.loads(jobs.get_extraction(db, b["id"], None)["result"])
    assert ra["documents"][0]["crosscheck"]["status"] == "match"
    assert ra["documents"][0]["crosscheck"]["fields"].get("name") == "match"
    assert rb["documents"][0]["crosscheck"]["status"] == "not_found"
    # without a golden DB the cross-check is skipped
    assert make_crosscheck(s.with_(golden_db=None)) is None
