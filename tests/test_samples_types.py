"""Tests of the generated claim documents beyond ID cards (samples/): discharge summaries, death
certificates, disability certificates, household registers, social-security and bank cards, and
multi-page PDFs with and without a text layer.  Kept short: one sample per kind, a few PDFs."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pytest

from samples.generate import KINDS, generate, rng_for
from samples.people import make_person

# the contract's field list per type (/work/shared/contract/extraction-result.md)
CONTRACT = {
    "discharge_summary": {"hospital", "patient_name", "sex", "age", "department", "record_number",
                          "admission_date", "discharge_date", "admission_diagnosis", "discharge_diagnosis",
                          "doctor"},
    "death_certificate": {"deceased_name", "sex", "ethnicity", "id_number", "birth_date", "death_date",
                          "place_of_death", "cause_of_death", "institution", "issue_date"},
    "disability_certificate": {"name", "sex", "ethnicity", "birth_date", "id_number", "certificate_number",
                               "disability_category", "disability_level", "address", "issue_date"},
    "household_register": {"name", "relationship", "sex", "ethnicity", "birth_date", "birthplace", "id_number",
                           "address"},
    "social_security_card": {"name", "social_security_number", "card_number", "issue_date"},
    "bank_card": {"bank", "card_number"},
}
NEW_KINDS = [k for k in KINDS if k.rsplit("_", 1)[0] in CONTRACT]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_OR_MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
CATEGORIES = ["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def luhn_valid(number: str) -> bool:
    """Independent Luhn check (every second digit from the right doubled)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def gb11643_ok(s: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and \
        "10X98765432"[sum(int(c) * w for c, w in zip(s[:17], WEIGHTS)) % 11] == s[17]


def all_fields(sample) -> dict:
    """Fields of the sample's document over all its pages (first occurrence wins)."""
    out: dict = {}
    for s in [sample] + sample.pages:
        for d in s.truth["documents"]:
            for k, v in d["fields"].items():
                out.setdefault(k, v)
    return out


@pytest.fixture(scope="module")
def generated():
    return {k: generate(k, 11, 0) for k in NEW_KINDS}


def test_every_type_has_clean_degraded_and_card_photo_kinds():
    for t in CONTRACT:
        assert f"{t}_clean" in KINDS and f"{t}_degraded" in KINDS
    for t in ("social_security_card", "bank_card", "disability_certificate", "household_register"):
        assert f"{t}_photo" in KINDS


def test_new_kinds_generate_with_complete_fields(generated):
    for kind, s in generated.items():
        typ = kind.rsplit("_", 1)[0]
        for page in [s] + s.pages:
            t = page.truth
            assert page.image.dtype == np.uint8 and page.image.ndim == 3 and page.image.shape[2] == 3
            assert (t["width"], t["height"]) == (page.image.shape[1], page.image.shape[0])
            assert [d["type"] for d in t["documents"]] == [typ], kind
            W, H = t["width"], t["height"]
            for d in t["documents"]:
                for k, f in d["fields"].items():
                    x0, y0, x1, y1 = f["bbox"]
                    assert 0 <= x0 < x1 < W and 0 <= y0 < y1 < H, (kind, k)
                    assert f["value"] not in ("", None), (kind, k)
            assert all(ln["text"].strip() for ln in t["lines"])
        missing = CONTRACT[typ] - set(all_fields(s))
        assert not missing, (kind, missing)


def test_every_layout_has_the_contract_fields():
    from samples.render.cards import (BANK_CARD_LAYOUTS, SOCIAL_SECURITY_LAYOUTS, render_bank_card,
                                      render_social_security_card)
    from samples.render.certificates import (DEATH_LAYOUTS, DISABILITY_LAYOUTS, HOUSEHOLD_LAYOUTS,
                                             render_death_certificate, render_disability_certificate,
                                             render_household_register)
    from samples.render.discharge import DISCHARGE_LAYOUTS, render_discharge_summary_pages

    renders = {"death_certificate": (render_death_certificate, DEATH_LAYOUTS),
               "disability_certificate": (render_disability_certificate, DISABILITY_LAYOUTS),
               "household_register": (render_household_register, HOUSEHOLD_LAYOUTS),
               "social_security_card": (render_social_security_card, SOCIAL_SECURITY_LAYOUTS),
               "bank_card": (render_bank_card, BANK_CARD_LAYOUTS)}
    for typ, (fn, layouts) in renders.items():
        assert len(layouts) >= 3
        for i, lay in enumerate(layouts):
            rng = rng_for(f"test-layout-{typ}", 3, i)
            _, t = fn(make_person(rng), rng, lay)
            fields = t.docs[0].fields
            assert CONTRACT[typ] <= set(fields), (typ, lay, CONTRACT[typ] - set(fields))
            assert t.docs[0].meta.get("layout") == lay
    assert len(DISCHARGE_LAYOUTS) >= 3
    for i, lay in enumerate(DISCHARGE_LAYOUTS):
        rng = rng_for("test-layout-discharge", 3, i)
        pages = render_discharge_summary_pages(make_person(rng), rng, lay, length=2.6 if i == 0 else 1.0)
        got = set().union(*(set(t.docs[0].fields) for _, t in pages))
        assert CONTRACT["discharge_summary"] <= got, (lay, CONTRACT["discharge_summary"] - got)
        if i == 0:  # a long summary runs onto a second page with a running header
            assert len(pages) == 2
            assert [t.docs[0].meta["part"] for _, t in pages] == [1, 2]
            assert {"patient_name", "record_number"} <= set(pages[1][1].docs[0].fields)


def test_normal_forms_of_new_types(generated):
    for kind, s in generated.items():
        f = {k: v["value"] for k, v in all_fields(s).items()}
        for k in ("birth_date", "death_date", "admission_date", "discharge_date"):
            if k in f:
                assert DATE.match(f[k]), (kind, k, f[k])
        if "issue_date" in f:
            assert DATE_OR_MONTH.match(f["issue_date"]), (kind, f["issue_date"])
        if "sex" in f:
            assert f["sex"] in ("男", "女")
        if "ethnicity" in f:
            assert f["ethnicity"] and not f["ethnicity"].endswith("族")
        if "age" in f:
            assert f["age"].isdigit()
        for k in ("admission_diagnosis", "discharge_diagnosis"):
            if k in f:
                for part in f[k].split("；"):
                    assert part and not re.match(r"^(\d+\s*[.、]|（\d+）)", part), f[k]
        if "id_number" in f:
            assert gb11643_ok(f["id_number"])


def test_dates_are_consistent():
    for i in range(6):
        s = generate("death_certificate_clean", 21, i)
        f = {k: v["value"] for k, v in s.truth["documents"][0]["fields"].items()}
        birth, death, issue = (dt.date.fromisoformat(f[k]) for k in ("birth_date", "death_date", "issue_date"))
        assert birth < death <= issue <= death + dt.timedelta(days=7)
        assert f["id_number"][6:14] == birth.strftime("%Y%m%d")
    rng = rng_for("test-stay", 0, 0)
    from samples.facts import make_stay
    for _ in range(30):
        p = make_person(rng)
        st = make_stay(rng, p)
        assert (st.discharge - st.admission).days == st.days > 0
        assert set(st.admission_diagnoses) <= set(st.discharge_diagnoses)


def test_bank_card_numbers_are_luhn_valid(generated):
    from samples.facts import luhn_check_digit, luhn_ok, make_bank_card
    rng = rng_for("test-luhn", 0, 0)
    for _ in range(300):
        c = make_bank_card(rng)
        assert 16 <= len(c.number) <= 19 and c.number.isdigit()
        assert luhn_valid(c.number) and luhn_ok(c.number)
        # one wrong digit is caught
        bad = c.number[:-1] + str((int(c.number[-1]) + 1) % 10)
        assert not luhn_valid(bad) and not luhn_ok(bad)
    assert luhn_check_digit("7992739871") == "3"   # the textbook example 79927398713
    for kind in ("bank_card_clean", "bank_card_degraded", "bank_card_photo"):
        f = generated[kind].truth["documents"][0]["fields"]
        assert luhn_valid(f["card_number"]["value"]) and 16 <= len(f["card_number"]["value"]) <= 19
        assert f["bank"]["value"].endswith(("银行", "联社"))


def test_disability_number_is_id_plus_category_and_level(generated):
    from samples.render.certificates import DISABILITY_LAYOUTS, render_disability_certificate
    docs = [generated[k].truth["documents"][0] for k in NEW_KINDS if k.startswith("disability")]
    for i, lay in enumerate(DISABILITY_LAYOUTS * 2):
        rng = rng_for("test-disability", 0, i)
        _, t = render_disability_certificate(make_person(rng), rng, lay)
        docs.append(t.to_dict()["documents"][0])
    for d in docs:
        f = {k: v["value"] for k, v in d["fields"].items()}
        n = f["certificate_number"]
        assert len(n) == 20 and n[:18] == f["id_number"] and gb11643_ok(f["id_number"])
        assert f["disability_category"] in CATEGORIES
        assert int(n[18]) == CATEGORIES.index(f["disability_category"]) + 1
        assert re.fullmatch(r"[一二三四]级", f["disability_level"])
        assert int(n[19]) == "一二三四".index(f["disability_level"][0]) + 1


def test_social_security_and_household_values(generated):
    for kind in ("social_security_card_clean", "social_security_card_degraded", "social_security_card_photo"):
        f = {k: v["value"] for k, v in generated[kind].truth["documents"][0]["fields"].items()}
        assert gb11643_ok(f["social_security_number"])
        assert re.fullmatch(r"[A-Z]\d{8}", f["card_number"])
        assert DATE_OR_MONTH.match(f["issue_date"])
    for kind in ("household_register_clean", "household_register_degraded", "household_register_photo"):
        f = {k: v["value"] for k, v in generated[kind].truth["documents"][0]["fields"].items()}
        assert f["id_number"][6:14] == f["birth_date"].replace("-", "")
        assert f["relationship"] in {"户主", "妻", "夫", "子", "女", "长子", "次子", "长女", "次女", "孙子", "孙女",
                                     "外孙子", "外孙女", "父", "母", "兄", "弟", "姐", "妹", "儿媳", "女婿"}


def test_same_person_across_types():
    from samples.render.cards import render_social_security_card
    from samples.render.certificates import render_death_certificate, render_household_register
    rng = rng_for("test-person", 0, 0)
    p = make_person(rng)
    ids = set()
    for fn in (render_death_certificate, render_household_register, render_social_security_card):
        _, t = fn(p, rng)
        f = t.docs[0].fields
        ids.add(f["social_security_number" if "social_security_number" in f else "id_number"].value)
    assert ids == {p.id_number}


def test_determinism_of_new_kinds(generated):
    for kind in ("bank_card_photo", "death_certificate_degraded"):
        a, b = generated[kind], generate(kind, 11, 0)
        assert a.image.tobytes() == b.image.tobytes() and a.truth == b.truth, kind
    assert generated["bank_card_clean"].truth != generate("bank_card_clean", 11, 1).truth


def test_discharge_summary_second_page_as_image():
    s = generate("discharge_summary_degraded", 2, 0)   # a two-page summary at this seed
    assert len(s.pages) == 1 and s.truth["pages"] == 2 and s.truth["page"] == 1
    p2 = s.pages[0]
    assert p2.name == s.name + "_p2" and p2.truth["page"] == 2 and p2.truth["first"] == s.name
    assert p2.truth["documents"][0]["meta"]["part"] == 2


# ------------------------------------------------------------------------------------------
# PDFs
# ------------------------------------------------------------------------------------------
def _check_pdf_structure(data: bytes, truth: dict):
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(data)
    try:
        assert len(doc) == truth["pages"] == len(truth["page_info"])
        assert truth["dpi"] == 200
        for i, info in enumerate(truth["page_info"]):
            w_pt, h_pt = doc[i].get_size()
            import math
            assert (math.ceil(w_pt * 200 / 72), math.ceil(h_pt * 200 / 72)) == (info["width"], info["height"])
    finally:
        doc.close()
    for d in truth["documents"]:
        assert 1 <= d["page"] <= truth["pages"] and d["page"] == d["pages"][0]
        for k, f in d["fields"].items():
            assert f["page"] in d["pages"], k
            info = truth["page_info"][f["page"] - 1]
            x0, y0, x1, y1 = f["bbox"]
            assert 0 <= x0 < x1 < info["width"] and 0 <= y0 < y1 < info["height"], k
    for ln in truth["lines"]:
        assert 1 <= ln["page"] <= truth["pages"]
        assert ln["doc"] is None or truth["documents"][ln["doc"]]["page"] <= ln["page"]


def _layer_matches_truth(data: bytes, truth: dict, tol: float = 2.5, words: list | None = None) -> int:
    """pdfplumber's characters, page by page, are the text-layer truth lines in order, in their boxes.

    ``words``: a list to receive pdfplumber's words (``extract_words``) of every page.
    """
    import pdfplumber
    n = 0
    scale = 200 / 72
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for info in truth["page_info"]:
            page = info["page"]
            if words is not None:
                words.extend(w["text"] for w in pdf.pages[page - 1].extract_words())
            chars = [c for c in pdf.pages[page - 1].chars if not c["text"].isspace()]
            if not info["text_layer"]:
                assert not chars, page
                continue
            lines = [ln for ln in truth["lines"] if ln["page"] == page and ln.get("text_layer")]
            assert lines
            k = 0
            for ln in lines:
                txt = re.sub(r"\s", "", ln["text"])
                got = chars[k:k + len(txt)]
                k += len(txt)
                assert "".join(c["text"] for c in got) == txt, (page, ln["text"])
                box = [min(c["x0"] for c in got) * scale, min(c["top"] for c in got) * scale,
                       max(c["x1"] for c in got) * scale, max(c["bottom"] for c in got) * scale]
                assert max(abs(a - b) for a, b in zip(box, ln["bbox"])) <= tol, (page, ln["text"], box, ln["bbox"])
                n += 1
            assert k == len(chars), page
            # handwriting, seals and watermarks are never in the layer
            assert all(not ln.get("text_layer") for ln in truth["lines"] if ln["page"] == page
                       and ln["role"] in ("handwriting", "seal", "watermark"))
    return n


def test_text_layer_pdf_words_match_truth():
    from samples.pdfs import generate_pdf
    s = generate_pdf("claim_pdf_text", 11, 0)
    assert s.truth["text_layer"] == "all" and s.truth["kind"] == "claim_pdf_text"
    _check_pdf_structure(s.data, s.truth)
    words: list[str] = []
    assert _layer_matches_truth(s.data, s.truth, words=words) > 50
    # the words as the extractor reads them (pdfplumber) carry the field values
    text = "".join(words)
    for d in s.truth["documents"]:
        for k in ("patient_name", "hospital", "record_number"):
            if k in d["fields"]:
                assert re.sub(r"\s", "", d["fields"][k]["value"]) in text, k


def test_pdf_bytes_are_deterministic():
    from samples.pdfs import make_pdf
    a = make_pdf(["bank_card_clean", "social_security_card_clean"], 4, 0, text_layer=[True, False])
    b = make_pdf(["bank_card_clean", "social_security_card_clean"], 4, 0, text_layer=[True, False])
    assert a[0] == b[0] and a[1] == b[1]
    assert a[1]["text_layer"] == "some" and _layer_matches_truth(*a) >= 2


def test_mixed_pdf_has_image_and_text_pages():
    from samples.pdfs import generate_pdf
    s = generate_pdf("claim_pdf_mixed", 11, 0)
    t = s.truth
    _check_pdf_structure(s.data, t)
    assert t["pages"] == 3 and t["source_kinds"][0] == "id_both_a4_copy"
    assert [p["text_layer"] for p in t["page_info"]][:2] == [False, True]
    assert sorted(d["type"] for d in t["documents"] if d["page"] == 1) == ["id_card_back", "id_card_front"]
    assert [d["type"] for d in t["documents"] if d["page"] == 2] == ["medical_certificate"]
    assert [d["type"] for d in t["documents"] if d["page"] == 3] == ["lab_report"]
    _layer_matches_truth(s.data, t)
    # one claimant throughout
    ids = {d["fields"]["id_number"]["value"] for d in t["documents"] if "id_number" in d["fields"]}
    names = {d["fields"][k]["value"] for d in t["documents"] for k in ("name", "patient_name") if k in d["fields"]}
    assert len(ids) == 1 and len(names) == 1


def test_two_page_document_is_one_entry_in_a_pdf():
    from samples.pdfs import make_pdf
    data, t = make_pdf(["discharge_summary_clean"], 1, 0, text_layer=True)   # two pages at this seed
    _check_pdf_structure(data, t)
    assert t["pages"] == 2 and len(t["documents"]) == 1
    d = t["documents"][0]
    assert d["type"] == "discharge_summary" and d["pages"] == [1, 2] and len(d["regions"]) == 2
    assert CONTRACT["discharge_summary"] <= set(d["fields"])
    assert {f["page"] for f in d["fields"].values()} == {1, 2}
    assert {ln["doc"] for ln in t["lines"]} <= {0, None}
    _layer_matches_truth(data, t)


def test_scanned_pdf_has_no_text_layer():
    from samples.pdfs import make_pdf
    data, t = make_pdf(["id_both_a4_copy", "bank_card_a4_copy"], 11, 0, text_layer=False)
    _check_pdf_structure(data, t)
    assert t["text_layer"] == "none" and t["pages"] == 2
    assert _layer_matches_truth(data, t) == 0
    assert [d["type"] for d in t["documents"] if d["page"] == 2] == ["bank_card"]
    from samples.pdfs import PDF_KINDS, _plan, generate_pdf
    assert set(PDF_KINDS) == {"claim_pdf_scanned", "claim_pdf_text", "claim_pdf_mixed"}
    for i in range(5):  # the scanned claim: an ID copy, then 1–3 documents, no text layer anywhere
        kinds, flags = _plan("claim_pdf_scanned", rng_for("claim_pdf_scanned", 11, i))
        assert kinds[0] == "id_both_a4_copy" and 2 <= len(kinds) <= 4 and not any(flags)
        assert all(k.endswith(("_degraded", "_a4_copy")) for k in kinds)
    with pytest.raises(ValueError):
        generate_pdf("claim_pdf_nonsense", 0, 0)
