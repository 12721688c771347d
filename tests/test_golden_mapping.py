"""The read-only adapter: an office's own table or view read through a YAML column mapping."""
import pytest
from sqlalchemy import create_engine, text

from crosscheck import MappedGoldenStore, check_case, check_result, open_store
from crosscheck.synth import make_id
from schemas.result import DocumentResult, ExtractionResult, FieldResult

ID = make_id("110105", "1949-12-31", 11)
ID2 = make_id("440106", "1960-02-29", 22)

MAPPING = """
table: rk_person_v
fields:
  id_number: sfzh
  name: xm
  former_names: {column: cym, split: "、"}
  sex: {column: xb, values: {"1": 男, "2": 女}}
  birth_date: {column: csrq, format: "%Y%m%d"}
  address: zz
  status: {column: swbz, values: {"0": alive, "1": deceased}}
  pension_status: {column: yljzt, values: {"10": receiving, "20": stopped}}
"""


@pytest.fixture
def office_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'office.sqlite3'}"
    eng = create_engine(url)
    with eng.begin() as c:
        c.execute(text("CREATE TABLE rk_person (sfzh TEXT PRIMARY KEY, xm TEXT, cym TEXT, xb TEXT, csrq TEXT,"
                       " zz TEXT, swbz TEXT, yljzt TEXT, secret TEXT)"))
        c.execute(text("INSERT INTO rk_person VALUES (:a, '张三', '张小三、张叁', '1', '19491231', "
                       "'北京市朝阳区建国路1号', '0', '10', 'not for us')"), {"a": ID.lower()})
        c.execute(text("INSERT INTO rk_person VALUES (:a, '李四', NULL, '2', '19600229', NULL, '1', '20', 'x')"),
                  {"a": ID2})
        c.execute(text("CREATE VIEW rk_person_v AS SELECT sfzh, xm, cym, xb, csrq, zz, swbz, yljzt FROM rk_person"))
    eng.dispose()
    (tmp_path / "map.yaml").write_text(MAPPING, encoding="utf-8")
    return url, tmp_path / "map.yaml"


def test_mapped_lookups(office_db):
    url, mapping = office_db
    store = open_store(url, mapping=mapping)
    assert isinstance(store, MappedGoldenStore)
    p = store.get(ID)  # stored with a lower-case x: still found
    assert p["name"] == "张三" and p["sex"] == "男" and p["birth_date"] == "1949-12-31"
    assert p["former_names"] == ["张小三", "张叁"] and p["status"] == "alive"
    assert p["pension_status"] == "receiving"
    assert "secret" not in p
    assert store.get(ID, ["sex"]) == {"id_number": ID, "sex": "男"}
    assert [r["id_number"] for r in store.find("李四", "1960年2月29日")] == [ID2]
    assert store.find("李四", "1960-03-01") == []
    assert not hasattr(store, "upsert_many")  # read-only
    store.close()


def test_mapped_store_in_checks(office_db):
    url, mapping = office_db
    store = MappedGoldenStore(url, mapping)
    d = DocumentResult(type="id_card_front", fields={
        "name": FieldResult(value="張三", confidence=0.95), "sex": FieldResult(value="男", confidence=0.95),
        "birth_date": FieldResult(value="1949.12.31", confidence=0.95),
        "id_number": FieldResult(value=ID, confidence=0.95)})
    r = check_result(ExtractionResult(source="x", sha256="0", documents=[d]), store)
    cc = r.documents[0].crosscheck
    assert cc.status == "match" and cc.fields["name"] == "match"
    assert cc.fields["sex"] == "match" and cc.fields["birth_date"] == "match"
    assert "ethnicity" not in cc.fields  # not mapped, not on the document: nothing to say
    death = DocumentResult(type="death_certificate", fields={
        "deceased_name": FieldResult(value="张三", confidence=0.9), "id_number": FieldResult(value=ID, confidence=0.9)})
    rep = check_case([ExtractionResult(source="d", sha256="0", documents=[death])], store)
    assert "deceased_but_pension_active" in rep.codes()


def test_bad_mappings(office_db, tmp_path):
    url, _ = office_db
    with pytest.raises(ValueError, match="not in"):
        MappedGoldenStore(url, {"table": "rk_person_v", "fields": {"id_number": "sfzh", "name": "nope"}})
    with pytest.raises(ValueError, match="unknown canonical"):
        MappedGoldenStore(url, {"table": "rk_person_v", "fields": {"id_number": "sfzh", "name": "xm", "foo": "xb"}})
    with pytest.raises(ValueError, match="must be mapped"):
        MappedGoldenStore(url, {"table": "rk_person_v", "fields": {"id_number": "sfzh"}})
