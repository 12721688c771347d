"""check_result: per-field match/mismatch/missing, document status, suggestions, confidence."""
import pytest

from crosscheck import MemoryGoldenStore, SqlGoldenStore, check_result, import_rows
from crosscheck.check import agree_confidence, disagree_confidence
from crosscheck.synth import make_id
from schemas.result import REVIEW_THRESHOLD, DocumentResult, ExtractionResult, FieldResult

ID = make_id("110105", "1949-12-31", 11)
ID2 = make_id("440106", "1960-02-29", 22)
PEOPLE = [
    {"id_number": ID, "name": "张三", "former_names": ["张小三"], "sex": "男", "ethnicity": "汉",
     "birth_date": "1949-12-31", "address": "北京市朝阳区建国路1号", "status": "alive",
     "social_security_number": ID, "bank_account": "6222021234567890123", "pension_status": "receiving"},
    {"id_number": ID2, "name": "李已", "sex": "女", "ethnicity": "蒙古", "birth_date": "1960-02-29",
     "address": "广东省广州市天河区天河路100号", "status": "deceased", "death_date": "2024-03-01",
     "disability_certificate_number": ID2 + "42", "disability_category": "肢体残疾",
     "disability_level": "二级"},
]


@pytest.fixture(params=["sqlite", "memory"])
def store(request, tmp_path):
    if request.param == "memory":
        yield MemoryGoldenStore(PEOPLE)
        return
    s = SqlGoldenStore(str(tmp_path / "g.sqlite3"))
    import_rows(PEOPLE, s)
    yield s
    s.close()


def doc(type_, conf=0.95, **fields):
    return DocumentResult(type=type_, needs_review=False, confidence=0.95,
                          fields={k: FieldResult(value=v, confidence=conf, raw=str(v)) for k, v in fields.items()})


def run(store, d):
    r = ExtractionResult(source="t.json", sha256="0", documents=[d])
    return check_result(r, store).documents[0]


def id_card(**over):
    f = dict(name="張三", sex="男", ethnicity="汉族", birth_date="1949年12月31日",
             address="朝阳区建国路１号", id_number=ID)
    f.update(over)
    return doc("id_card_front", **f)


def test_match_with_normalisation(store):
    d = run(store, id_card())
    cc = d.crosscheck
    assert cc.status == "match"
    assert cc.fields == {k: "match" for k in ("name", "sex", "ethnicity", "birth_date", "address", "id_number")}
    assert cc.model_extra["matched_by"] == "id_number"
    assert cc.model_extra["person"] == ID[:6] + "********" + ID[-4:]
    # the contract shape survives serialisation
    js = d.model_dump(mode="json")["crosscheck"]
    assert js["status"] == "match" and js["fields"]["name"] == "match"


def test_confidence_raised_on_exact_agreement_only(store):
    d = run(store, id_card())
    # exact after normalisation: raised by the documented rule
    assert d.fields["name"].confidence == pytest.approx(agree_confidence(0.95)) == pytest.approx(0.975)
    # the look-up key is not independent evidence: unchanged
    assert d.fields["id_number"].confidence == 0.95
    # address matched by divisions + street, not exactly: unchanged
    assert d.fields["address"].confidence == 0.95
    assert "golden_match" in d.fields["name"].checks
    assert agree_confidence(0.999) == 0.999 and agree_confidence(0.99) == 0.995


def test_mismatch_lowers_confidence_and_sets_review(store):
    d = run(store, id_card(name="张四", conf=0.99))
    assert d.crosscheck.status == "mismatch"
    assert d.crosscheck.fields["name"] == "mismatch"
    assert d.fields["name"].confidence < REVIEW_THRESHOLD
    assert d.fields["name"].confidence == disagree_confidence(0.99)
    assert d.needs_review
    assert d.fields["name"].value == "张四"
    assert "suggestion" not in (d.fields["name"].model_extra or {})  # confident, so no suggestion
    assert any(r.startswith("name:") for r in d.crosscheck.model_extra["reasons"])


def test_rerun_is_idempotent(store):
    d = id_card()
    run(store, d)
    first = {k: f.confidence for k, f in d.fields.items()}
    run(store, d)
    assert {k: f.confidence for k, f in d.fields.items()} == first
    assert d.fields["name"].checks.count("golden_match") == 1


def test_suggestion_for_low_confidence_confusable(store):
    d = doc("household_register", conf=0.6, name="李己", sex="女", birth_date="1960-02-29", id_number=ID2)
    d = run(store, d)
    f = d.fields["name"]
    assert d.crosscheck.fields["name"] == "mismatch"
    assert f.value == "李己"                     # never overwritten
    sug = f.model_extra["suggestion"]
    assert sug["value"] == "李已" and sug["source"] == "golden"
    assert "OCR-confusable" in sug["evidence"]
    # a confident value gets no suggestion; an unrelated value neither
    d2 = run(store, doc("household_register", conf=0.95, name="李己", id_number=ID2))
    assert "suggestion" not in (d2.fields["name"].model_extra or {})
    d3 = run(store, doc("household_register", conf=0.5, name="王五", id_number=ID2))
    assert "suggestion" not in (d3.fields["name"].model_extra or {})


def test_unreadable_id_falls_back_to_name_and_birth(store):
    bad = ID[:10] + ("7" if ID[10] != "7" else "8") + ID[11:]
    d = run(store, id_card(id_number=bad, conf=0.7))
    cc = d.crosscheck
    assert cc.model_extra["matched_by"] == "name_birth_date"
    assert cc.status == "mismatch" and cc.fields["id_number"] == "mismatch"
    assert "unreadable" in cc.model_extra["reasons"][0]
    # the golden number is one digit away and the document's fails its check character
    assert d.fields["id_number"].model_extra["suggestion"]["value"] == ID


def test_not_found_and_skipped(store):
    other = make_id("110105", "1950-01-01", 13)
    d = run(store, id_card(id_number=other, name="无名", birth_date="1950-01-01"))
    assert d.crosscheck.status == "not_found" and d.crosscheck.fields == {}
    assert d.needs_review
    assert run(store, doc("medical_certificate", patient_name="张三")).crosscheck.status == "skipped"
    assert run(store, doc("id_card_back", issuing_authority="北京市公安局")).crosscheck.status == "skipped"
    assert run(store, doc("bank_card", card_number="6222021234567890123")).crosscheck.status == "skipped"
    assert run(store, doc("id_card_front", sex="男")).crosscheck.status == "skipped"  # nothing to look up by


def test_missing_fields(store):
    d = run(store, doc("id_card_front", name="张三", id_number=ID))
    assert d.crosscheck.status == "match"
    assert d.crosscheck.fields["sex"] == "missing"          # golden has it, the document does not
    d = run(store, doc("death_certificate", deceased_name="张三", id_number=ID, death_date="2025-01-01"))
    assert d.crosscheck.fields["deceased_name"] == "match"  # deceased_name -> name
    assert d.crosscheck.fields["death_date"] == "missing"   # alive in the golden record


def test_document_type_mappings(store):
    d = run(store, doc("disability_certificate", name="李已", id_number=ID2, certificate_number=ID2 + "42",
                       disability_category="肢体", disability_level="贰级", ethnicity="蒙古族"))
    assert d.crosscheck.status == "match", d.crosscheck
    assert d.crosscheck.fields["certificate_number"] == "match"
    d = run(store, doc("disability_certificate", name="李已", id_number=ID2, disability_level="三级"))
    assert d.crosscheck.fields["disability_level"] == "mismatch"
    d = run(store, doc("social_security_card", name="张三", social_security_number=ID))
    assert d.crosscheck.status == "match"
    # golden has no social security number: compared with the ID number
    d = run(store, doc("social_security_card", name="李已", social_security_number=ID2))
    assert d.crosscheck.fields["social_security_number"] == "match"
    d = run(store, doc("death_certificate", deceased_name="李已", id_number=ID2, death_date="二〇二四年三月一日"))
    assert d.crosscheck.status == "match"


def test_bank_card_with_a_named_person(store):
    r = ExtractionResult(source="b", sha256="0", documents=[doc("bank_card", card_number="6222 0212 3456 7890 123")])
    check_result(r, store, person_id=ID)
    assert r.documents[0].crosscheck.fields == {"card_number": "match"}


def test_former_name(store):
    d = run(store, id_card(name="张小三"))
    assert d.crosscheck.fields["name"] == "match"
    assert d.fields["name"].confidence == 0.95  # not exact: no raise


class _Down:
    def get(self, *a, **k):
        raise ConnectionError("db down")

    find = get


def test_store_down_is_skipped_not_raised():
    d = run(_Down(), id_card())
    assert d.crosscheck.status == "skipped"
    assert "unavailable" in d.crosscheck.model_extra["reasons"][0]
