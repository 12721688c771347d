"""check_case: the documents of one claim against each other and against the golden record."""
import json

import pytest

from crosscheck import MemoryGoldenStore, SqlGoldenStore, check_case, import_rows
from crosscheck.synth import make_id
from matex.cli import main
from schemas.result import DocumentResult, ExtractionResult, FieldResult

ID = make_id("110105", "1949-12-31", 11)          # alive, receiving a pension
ID_DEAD = make_id("440106", "1940-05-06", 21)     # deceased in the golden record
ID_DIS = make_id("220104", "1975-07-01", 33)      # disability, level 二级
ID_APP = make_id("110105", "1975-03-03", 44)      # an applicant (family member)
BANK = "6222021234567890123"
PEOPLE = [
    {"id_number": ID, "name": "张三", "sex": "男", "ethnicity": "汉", "birth_date": "1949-12-31",
     "address": "北京市朝阳区建国路1号", "status": "alive", "pension_status": "receiving",
     "bank_account": BANK},
    {"id_number": ID_DEAD, "name": "李四", "sex": "男", "birth_date": "1940-05-06", "status": "deceased",
     "death_date": "2025-01-02", "pension_status": "stopped"},
    {"id_number": ID_DIS, "name": "王五", "sex": "男", "birth_date": "1975-07-01",
     "disability_certificate_number": ID_DIS + "42", "disability_category": "肢体残疾",
     "disability_level": "二级", "bank_account": "6222020000000000001"},
    {"id_number": ID_APP, "name": "张小英", "sex": "女", "birth_date": "1975-03-03",
     "bank_account": "6222029999999999999"},
]


@pytest.fixture
def store(tmp_path):
    s = SqlGoldenStore(str(tmp_path / "g.sqlite3"))
    import_rows(PEOPLE, s)
    yield s
    s.close()


def res(type_, **fields):
    d = DocumentResult(type=type_, confidence=0.95, needs_review=False,
                       fields={k: FieldResult(value=v, confidence=0.97) for k, v in fields.items()})
    return ExtractionResult(source=f"{type_}.json", sha256="0", documents=[d])


def idcard(name, idn, birth, sex="男"):
    return res("id_card_front", name=name, sex=sex, birth_date=birth, id_number=idn)


def test_clean_pension_claim(store):
    rep = check_case([idcard("张三", ID, "1949-12-31"), res("social_security_card", name="張三", social_security_number=ID),
                      res("bank_card", card_number=BANK)], store)
    assert rep.status == "ok", rep.flags
    assert rep.codes() == set()
    assert rep.persons[0].golden == "found" and "*" in rep.persons[0].id_number
    assert [d.crosscheck for d in rep.documents] == ["match", "match", "match"]


def test_different_id_number_across_documents(store):
    other = ID[:14] + "9" + ID[15:]
    rep = check_case([idcard("张三", ID, "1949-12-31"), res("household_register", name="张三", birth_date="1949-12-31",
                                                            id_number=other)], store)
    assert rep.flagged
    assert {"id_number_inconsistent", "id_checksum_invalid", "golden_mismatch"} <= rep.codes()
    f = next(f for f in rep.flags if f.code == "id_number_inconsistent")
    assert f.documents == ["household_register.json#0:household_register"]
    assert ID not in f.message  # masked


def test_name_and_birth_date_inconsistent(store):
    rep = check_case([idcard("张三", ID, "1949-12-31"),
                      res("social_security_card", name="张叁", social_security_number=ID),
                      res("household_register", name="张三", birth_date="1949-12-30", id_number=ID)], store)
    assert {"name_inconsistent", "birth_date_inconsistent", "id_birth_date_inconsistent"} <= rep.codes()


def test_death_certificate_for_someone_alive_with_pension(store):
    rep = check_case([idcard("张三", ID, "1949-12-31"),
                      res("death_certificate", deceased_name="张三", id_number=ID, birth_date="1949-12-31",
                          death_date="2025-05-01")], store)
    assert "deceased_but_pension_active" in rep.codes()
    assert rep.flagged


def test_death_claim_consistent_with_golden(store):
    rep = check_case([idcard("李四", ID_DEAD, "1940-05-06"),
                      res("death_certificate", deceased_name="李四", id_number=ID_DEAD, birth_date="1940年5月6日",
                          death_date="二〇二五年一月二日"),
                      # the applicant's own ID card and bank card are part of the claim
                      idcard("张小英", ID_APP, "1975-03-03", sex="女"),
                      res("bank_card", card_number="6222 0299 9999 9999 999")], store)
    assert rep.status == "ok", [f.message for f in rep.flags]
    assert len(rep.persons) == 2 and rep.subject == 0
    assert rep.persons[0].documents[0].startswith("id_card_front") or len(rep.persons[0].documents) == 2


def test_golden_deceased_but_claim_for_a_living_person(store):
    rep = check_case([idcard("李四", ID_DEAD, "1940-05-06"), res("social_security_card", name="李四",
                                                                  social_security_number=ID_DEAD)], store)
    assert "golden_deceased" in rep.codes()


def test_disability_level_differs(store):
    rep = check_case([idcard("王五", ID_DIS, "1975-07-01"),
                      res("disability_certificate", name="王五", id_number=ID_DIS, certificate_number=ID_DIS + "43",
                          disability_category="肢体", disability_level="叁级")], store)
    assert {"disability_level_differs", "golden_mismatch"} <= rep.codes()
    ok = check_case([idcard("王五", ID_DIS, "1975-07-01"),
                     res("disability_certificate", name="王五", id_number=ID_DIS, certificate_number=ID_DIS + "42",
                         disability_category="肢体", disability_level="贰级")], store)
    assert ok.status == "ok", ok.flags
    # the certificate number must carry the ID number and the printed category/level
    bad = check_case([res("disability_certificate", name="王五", id_number=ID_DIS, certificate_number=ID_DIS + "44",
                          disability_category="肢体", disability_level="贰级")], store)
    assert "disability_number_inconsistent" in bad.codes()


def test_unknown_person_and_foreign_bank_card(store):
    stranger = make_id("110105", "1990-01-01", 55)
    rep = check_case([idcard("陌生人", stranger, "1990-01-01")], store)
    assert rep.codes() == {"golden_not_found"}
    rep = check_case([idcard("张三", ID, "1949-12-31"), res("bank_card", card_number="6222000000000000000")], store)
    assert "bank_account_differs" in rep.codes()


def test_case_cli_reads_result_json(tmp_path, store, capsys):
    files = []
    for i, r in enumerate([idcard("张三", ID, "1949-12-31"),
                           res("death_certificate", deceased_name="张三", id_number=ID, death_date="2025-05-01")]):
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps(r.to_json_dict(), ensure_ascii=False), encoding="utf-8")
        files.append(str(p))
    db = store.engine.url.database
    rc = main(["case", *files, "--db", db, "--strict", "--results", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert rc == 4
    report = json.loads(out)
    assert report["status"] == "flagged"
    assert "deceased_but_pension_active" in {f["code"] for f in report["flags"]}
    assert ID not in out
    checked = json.loads(sorted((tmp_path / "out").glob("00-*.json"))[0].read_text())
    assert checked["documents"][0]["crosscheck"]["status"] == "match"
    rc = main(["case", files[0], "--db", db, "--format", "text"])
    assert rc == 0 and "case: ok" in capsys.readouterr().out


def test_golden_check_cli(tmp_path, store, capsys):
    p = tmp_path / "r.json"
    p.write_text(json.dumps(idcard("张三", ID, "1949-12-31").to_json_dict(), ensure_ascii=False), encoding="utf-8")
    assert main(["golden", "check", str(p), "--db", store.engine.url.database]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["documents"][0]["crosscheck"]["status"] == "match"


def test_memory_store_same_rules():
    rep = check_case([idcard("张三", ID, "1949-12-31"),
                      res("death_certificate", deceased_name="张三", id_number=ID)], MemoryGoldenStore(PEOPLE))
    assert "deceased_but_pension_active" in rep.codes()


def test_case_cli_runs_the_pipeline_for_documents(tmp_path, store, capsys, monkeypatch):
    import matex.commands.case as case_cmd

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4")
    seen = []

    def fake_extract(paths):
        seen.extend(paths)
        return [idcard("张三", ID, "1949-12-31")]

    monkeypatch.setattr(case_cmd, "_extract", fake_extract)
    rc = main(["case", str(scan), "--db", store.engine.url.database])
    assert rc == 0 and seen == [str(scan)]
    assert json.loads(capsys.readouterr().out)["status"] == "ok"
    assert main(["case", str(tmp_path / "nope.json"), "--db", store.engine.url.database]) == 2
