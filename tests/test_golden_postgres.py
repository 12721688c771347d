"""The golden store on a real PostgreSQL (127.0.0.1:5432, database `test`): every test works in a
schema of its own, dropped afterwards. Set MATEX_TEST_PG to use another server."""
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from crosscheck import MappedGoldenStore, SqlGoldenStore, check_case, check_result, import_file
from crosscheck.store import resolve_url
from crosscheck.synth import generate_people, make_document, make_result, make_id

pytestmark = pytest.mark.postgres
PG = os.environ.get("MATEX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_schema():
    eng = create_engine(resolve_url(PG))
    try:
        with eng.connect():
            pass
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG}: {type(exc).__name__}")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    with eng.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield eng, schema
    with eng.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    eng.dispose()


def test_pg_import_idempotent_and_lookup(pg_schema, tmp_path):
    eng, schema = pg_schema
    people = generate_people(3000, seed=3)
    f = tmp_path / "p.csv"
    people.write_csv(f)
    store = SqlGoldenStore(eng, schema=schema)
    r1 = import_file(f, store, chunk_size=1000)
    assert (r1.accepted, r1.written, r1.rejected) == (3000, 3000, 0)
    r2 = import_file(f, store, chunk_size=1000)
    assert (r2.written, r2.unchanged) == (0, 3000)
    assert store.count() == 3000
    p = people.row(5)
    got = store.get(p["id_number"])
    assert got["name"] == p["name"] and got["birth_date"] == p["birth_date"]
    assert got["former_names"] == p["former_names"]
    assert any(r["id_number"] == p["id_number"] for r in store.find(p["name"], p["birth_date"]))
    # an update through the same path
    rows = store.upsert_many([{**people.db_rows(5, 6)[0], "address": "北京市朝阳区建国路2号"}])
    assert rows == 1 and store.get(p["id_number"], ["address"])["address"] == "北京市朝阳区建国路2号"
    # duplicates inside one chunk (ON CONFLICT cannot touch a row twice): the last wins
    dup = people.db_rows(7, 8)[0]
    assert store.upsert_many([dup, {**dup, "name": "甲乙", "name_key": "甲乙"}]) == 1
    assert store.get(dup["id_number"], ["name"])["name"] == "甲乙"


def test_pg_crosscheck_and_case(pg_schema):
    import numpy as np

    eng, schema = pg_schema
    people = generate_people(500, seed=4)
    store = SqlGoldenStore(eng, schema=schema)
    store.upsert_many(people.db_rows())
    rng = np.random.default_rng(0)
    p = people.row(1)
    r = check_result(make_result([make_document("id_card_front", p, rng)], "x"), store)
    assert r.documents[0].crosscheck.status == "match"
    d = make_document("household_register", p, rng)
    d.fields["name"].value = p["name"][:-1] + ("甲" if p["name"][-1] != "甲" else "乙")
    rep = check_case([make_result([make_document("id_card_front", p, rng)], "a"), make_result([d], "b")], store)
    assert "name_inconsistent" in rep.codes()
    stranger = make_id("110105", "1990-01-01", 55)
    r = check_result(make_result([make_document("id_card_front", {**p, "id_number": stranger, "name": "无名氏",
                                                                   "birth_date": "1990-01-01"}, rng)], "y"), store)
    assert r.documents[0].crosscheck.status == "not_found"


def test_pg_mapped_view(pg_schema):
    eng, schema = pg_schema
    idn = make_id("110105", "1949-12-31", 11)
    with eng.begin() as c:
        c.execute(text(f'CREATE TABLE "{schema}".person (sfzh varchar(18), xm text, xb char(1), csrq date)'))
        c.execute(text(f'INSERT INTO "{schema}".person VALUES (:i, :n, :s, :d)'),
                  {"i": idn, "n": "张三", "s": "1", "d": "1949-12-31"})
        c.execute(text(f'CREATE VIEW "{schema}".person_v AS SELECT * FROM "{schema}".person'))
    store = MappedGoldenStore(eng, {"table": "person_v", "schema": schema, "fields": {
        "id_number": "sfzh", "name": "xm", "sex": {"column": "xb", "values": {"1": "男", "2": "女"}},
        "birth_date": "csrq"}})
    assert store.get(idn) == {"id_number": idn, "name": "张三", "sex": "男", "birth_date": "1949-12-31"}
    assert [r["id_number"] for r in store.find("張三", "1949-12-31")] == [idn]
