"""The service's tables on a real PostgreSQL (127.0.0.1:5432, db `test`): jobs, audit, the app.

Each run uses its own schema (`matex_api_<random>`), dropped at the end.
"""
from __future__ import annotations

import os
import threading
import uuid

import pytest
import sqlalchemy as sa

from api import audit, auth, jobs
from api.db import Database

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

PG_URL = os.environ.get("MATEX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def pg_schema():
    schema = f"matex_api_{uuid.uuid4().hex[:10]}"
    try:
        eng = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
        with eng.connect() as c:
            c.exec_driver_sql("SELECT 1")
    except Exception as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    yield schema
    with eng.begin() as c:
        c.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    eng.dispose()


@pytest.fixture
def pgdb(pg_schema):
    prefix = f"t{uuid.uuid4().hex[:6]}_"
    db = Database(PG_URL, prefix, pg_schema)
    yield db
    db.drop_all()
    db.dispose()


def test_pg_lease_cycle_and_audit(pgdb):
    from tests.test_api_jobs import lease_cycle

    lease_cycle(pgdb)
    t = pgdb.t.audit_log
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with pgdb.write() as c:
            c.execute(t.delete().where(t.c.seq == 1))
    pgdb.drop_audit_guards()
    with pgdb.write() as c:
        c.execute(t.update().where(t.c.seq == 1).values(details='{"sha256":"forged"}'))
    rep = audit.verify(pgdb)
    assert any("entry 1 edited" in p for p in rep.problems)


def test_pg_concurrent_claims_and_audit_appends(pgdb):
    from tests.test_api_jobs import _result, _submit

    exts = _submit(pgdb, None, n=20)
    taken: list[str] = []
    lock = threading.Lock()

    def worker(name):
        while True:
            j = jobs.claim(pgdb, name, 30)
            if j is None:
                return
            with lock:
                taken.append(j["id"])
            assert jobs.complete(pgdb, j["id"], name, _result(j["extraction"]))

    ths = [threading.Thread(target=worker, args=(f"W{i}",)) for i in range(5)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(60)
    assert len(taken) == len(set(taken)) == len(exts)
    rep = audit.verify(pgdb)
    assert rep.ok and rep.entries == 2 * len(exts), rep.problems  # upload + extraction each, one chain


def test_pg_app_end_to_end_with_fake_worker(pg_schema, tmp_path):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from api.testing import png_bytes, wait_ready

    prefix = f"a{uuid.uuid4().hex[:6]}_"
    s = Settings(db_url=PG_URL, db_schema=pg_schema, table_prefix=prefix, data_dir=str(tmp_path), workers=1,
                 engine="fake", poll_s=0.2)
    app = create_app(s)
    st = app.state.matex
    key = auth.create_key(st.db, "portal", "pg-tenant")
    other = auth.create_key(st.db, "portal", "other")
    try:
        with TestClient(app) as c:
            wait_ready(c)
            data = png_bytes(seed=77)
            r = c.post("/v1/extractions", headers={"X-API-Key": key}, files={"file": ("pg.png", data, "image/png")})
            assert r.status_code == 200, r.text
            eid = r.json()["id"]
            dup = c.post("/v1/extractions", headers={"X-API-Key": key}, files={"file": ("pg2.png", data, "image/png")})
            assert dup.json()["id"] == eid and dup.json()["duplicate"] is True
            assert c.get(f"/v1/extractions/{eid}", headers={"X-API-Key": other}).status_code == 404
            assert c.get("/readyz").json()["checks"]["database"] is True
        from matex.cli import main

        assert main(["audit", "verify", "--db", PG_URL, "--db-schema", pg_schema, "--table-prefix", prefix]) == 0
    finally:
        st.db.drop_all()
        st.db.dispose()
