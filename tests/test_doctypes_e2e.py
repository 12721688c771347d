"""Medical and civil-status documents end to end: real OCR through extract.pipeline.Pipeline on
generated pages (development seeds < 1000), compared with the generator's truth.

Each type runs on the generator's `<type>_clean` kind once the generator has one (the test of a
type the generator does not make yet is skipped, not failed). On clean pages the main fields
must equal the truth; every other field must be right or say it is unsure (confidence below
the confident level and the document sent to review)."""
from __future__ import annotations

import cv2
import pytest

from evaluation.metrics import CONFIDENT, norm_value
from samples.generate import KINDS, generate

SEED = 21
PAGES = 2
MAIN = {
    "medical_certificate": ["patient_name", "sex", "age", "diagnosis"],
    "discharge_summary": ["patient_name", "admission_date", "discharge_date", "discharge_diagnosis"],
    "lab_report": ["patient_name", "sex", "age"],
    "death_certificate": ["deceased_name", "id_number", "death_date"],
    "disability_certificate": ["name", "id_number", "certificate_number", "disability_category", "disability_level"],
    "household_register": ["name", "id_number"],
    "social_security_card": ["name", "social_security_number"],
    "bank_card": ["card_number"],
}
ITEM_KEYS = ("name", "result", "flag")


def _kind(doctype: str) -> str | None:
    k = f"{doctype}_clean"
    return k if k in KINDS else None


def _items_right(truth: list[dict], got: list[dict]) -> float:
    if not truth:
        return 1.0
    ok = sum(1 for t, g in zip(truth, got) if all(t.get(k) == g.get(k) for k in ITEM_KEYS))
    return ok / max(len(truth), len(got))


@pytest.mark.parametrize("doctype", list(MAIN))
def test_generated_pages(pipeline, doctype):
    kind = _kind(doctype)
    if kind is None:
        pytest.skip(f"the sample generator has no {doctype}_clean yet")
    total = right = 0
    missed: list[tuple[str, str]] = []
    for index in range(PAGES):
        s = generate(kind, SEED, index)
        res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), f"{s.name}.png").to_json_dict()
        assert res["errors"] == []
        truth = next(d for d in s.truth["documents"] if d["type"] == doctype)
        docs = [d for d in res["documents"] if d["type"] == doctype]
        assert docs, (s.name, [d["type"] for d in res["documents"]])
        doc = docs[0]
        for name in MAIN[doctype]:
            if name in truth["fields"]:
                got = doc["fields"].get(name, {}).get("value")
                if got is None and doc["needs_review"]:
                    # a line the detector lost (under a seal, dev seed 21 discharge #1 since the
                    # page is detected at 1600 px): missing and sent to review, never wrong
                    missed.append((s.name, name))
                    continue
                assert got == truth["fields"][name]["value"], (s.name, name, got)
        for name, tf in truth["fields"].items():
            pf = doc["fields"].get(name)
            if name == "items":
                share = _items_right(tf["value"], pf["value"] if pf else [])
                assert share >= 0.8, (s.name, share)
                if share < 1.0:
                    assert pf["confidence"] < CONFIDENT and doc["needs_review"], (s.name, pf["confidence"])
                continue
            total += 1
            ok = pf is not None and norm_value(pf["value"]) == norm_value(tf["value"])
            right += ok
            if pf is not None and not ok:
                assert pf["confidence"] < CONFIDENT and doc["needs_review"], (s.name, name, pf, tf["value"])
            if pf is not None and pf.get("bbox"):
                x0, y0, x1, y1 = pf["bbox"]
                h, w = s.image.shape[:2]
                assert -5 <= x0 < x1 <= w + 5 and -5 <= y0 < y1 <= h + 5
    assert right / max(1, total) >= 0.8, f"{doctype}: {right}/{total}"
    assert len(missed) <= 1, missed  # one main field of the pages at most


def test_seal_over_the_date_does_not_end_in_a_field(pipeline):
    """Generated certificates carry the hospital's red seal over the date or the signature."""
    kind = _kind("medical_certificate")
    if kind is None:
        pytest.skip("no medical_certificate_clean")
    s = generate(kind, SEED, 0)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "cert.png").to_json_dict()
    doc = next(d for d in res["documents"] if d["type"] == "medical_certificate")
    seal_texts = [l["text"] for l in s.truth["lines"] if l["role"] == "seal"]
    assert seal_texts
    for name, f in doc["fields"].items():
        if name in ("hospital",):
            continue
        v = str(f["value"])
        assert "专用章" not in v and "公章" not in v, (name, v)


def test_a_page_lying_on_its_side_is_still_turned(pipeline):
    """The OCR's second opinion on orientation must not keep a page that really lies at 90°."""
    import cv2
    import numpy as np

    from samples.generate import generate

    s = generate("medical_certificate_clean", 12, 0)
    img = np.ascontiguousarray(np.rot90(s.image))
    res = pipeline.extract_bytes(cv2.imencode(".png", img)[1].tobytes(), "side.png").to_json_dict()
    docs = [d for d in res["documents"] if d["type"] == "medical_certificate"]
    assert len(docs) == 1 and docs[0]["rotation"] in (90, 270)
    truth = s.truth["documents"][0]["fields"]
    assert docs[0]["fields"]["patient_name"]["value"] == truth["patient_name"]["value"]


@pytest.mark.parametrize("index", [0, 2])
def test_a_signature_line_beside_a_seal_is_read_once_the_seals_rim_is_gone(pipeline, index):
    """Dev seed 101, medical_certificate_clean #0 and #2: the seal's pale rim (red ink blended
    into the paper) stayed after the red was whitened, and the detector lost the whole
    "医师：name" line in it. Whitening the rim next to red ink, where nothing dark is under
    it, brings the line back, and leaves the date's digits under the ring."""
    from extract import seals

    s = generate("medical_certificate_clean", 101, index)
    assert seals.seal_regions(s.image)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "cert.png")
    doc = res.documents[0]
    truth = s.truth["documents"][0]["fields"]
    assert doc.fields["doctor"].value == truth["doctor"]["value"]
    assert norm_value(doc.fields["issue_date"].value) == norm_value(truth["issue_date"]["value"])


def test_a_value_the_detector_stopped_short_of_is_not_trusted(pipeline):
    """Dev seed 101, death_certificate_degraded #1: the detector's line ends before the last
    three handwritten characters of the underlying cause (冠状动脉粥样硬化性|心脏病). The
    characters right after the value, which no line read, mark it as maybe incomplete, so
    that a cut value is never a confident one."""
    s = generate("death_certificate_degraded", 101, 1)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "death.png")
    f = res.documents[0].fields["underlying_causes"]
    truth = s.truth["documents"][0]["fields"]["underlying_causes"]["value"]
    if f.value != truth:  # read in full some day: then there is nothing to flag
        assert "value_may_be_incomplete" in f.checks and f.confidence < CONFIDENT, f


def test_a_speck_between_a_bank_cards_digits_breaks_neither_type_nor_number(pipeline):
    """A bank card copied on A4 with a speck of toner read inside the number's groups
    (6221 8862 5629 .6740 254): it was `unknown` (the number was the evidence that was lost)."""
    s = generate("bank_card_degraded", 131, 7)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "card.png").to_json_dict()
    doc = next(d for d in res["documents"] if d["type"] == "bank_card")
    truth = s.truth["documents"][0]["fields"]["card_number"]["value"]
    f = doc["fields"]["card_number"]
    assert f["value"] == truth and "luhn_ok" in f["checks"]


def test_a_card_crop_whose_outline_search_went_astray_is_read_whole(pipeline):
    """Dev seed 793 bank_card_degraded #0: the outline search found a part of the card
    (rejected); the page reading then cut the card into text blocks and lost the bank's name
    printed above the number. An image with a card's aspect is read whole as the card first."""
    s = generate("bank_card_degraded", 793, 0)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "card.png").to_json_dict()
    [doc] = res["documents"]
    truth = s.truth["documents"][0]["fields"]
    assert doc["type"] == "bank_card"
    assert doc["fields"]["bank"]["value"] == truth["bank"]["value"]
    assert doc["fields"]["card_number"]["value"] == truth["card_number"]["value"]
    h, w = s.image.shape[:2]
    assert doc["region"] == [0.0, 0.0, float(w), float(h)]


def test_a_seals_strokes_beside_a_diagnosis_list_do_not_end_it(pipeline):
    """Dev seed 795 discharge_summary_degraded #0: the hospital's seal lies over the discharge
    diagnoses; its washed-out strokes left of item 2 were taken for another row's label and
    the list ended after item 1, 0.99 sure. The label column is looked at without the seal."""
    s = generate("discharge_summary_degraded", 795, 0)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "summary.png").to_json_dict()
    [doc] = res["documents"]
    truth = s.truth["documents"][0]["fields"]["discharge_diagnosis"]["value"]
    assert doc["fields"]["discharge_diagnosis"]["value"] == truth
