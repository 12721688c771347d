"""Tests of the synthetic sample generator (samples/).  Fast: a few dozen renders in total."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from samples import degrade as D
from samples.generate import KINDS, generate, rng_for
from samples.people import make_person
from samples.render.idcard import render_id_front

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def gb11643_ok(s: str) -> bool:
    """Independent re-implementation of the check character rule."""
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(s[:17], WEIGHTS)) % 11] == s[17]


def expected_valid_to(birth: dt.date, start: dt.date):
    age = start.year - birth.year - ((start.month, start.day) < (birth.month, birth.day))
    years = 5 if age < 16 else 10 if age <= 25 else 20 if age <= 45 else None
    if years is None:
        return "长期"
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


# ID cards and the first medical documents; the other document types (and PDFs) are covered by
# tests/test_samples_types.py
BASE_KINDS = [k for k in KINDS if k.startswith(("id_", "medical_certificate_", "lab_report_"))]


@pytest.fixture(scope="module")
def generated():
    """Every base kind at indices 0 and 1 (seed 11), generated once for the whole module."""
    return {(k, i): generate(k, 11, i) for k in BASE_KINDS for i in (0, 1)}


def test_all_kinds_generate(generated):
    for (kind, i), s in generated.items():
        t = s.truth
        assert s.image.dtype == np.uint8 and s.image.ndim == 3 and s.image.shape[2] == 3
        assert (t["width"], t["height"]) == (s.image.shape[1], s.image.shape[0])
        assert t["kind"] == kind and t["index"] == i and t["seed"] == 11
        assert t["documents"], kind
        assert all(ln["text"].strip() for ln in t["lines"]), kind
        for d in t["documents"]:
            assert d["rotation"] in (0, 90, 180, 270)
            assert len(d["quad"]) == 4
            assert d["fields"], (kind, d["type"])


def test_determinism(generated):
    # a fresh generation of the same (kind, seed, index) is byte-identical
    for kind in ("id_both_a4_copy", "lab_report_degraded"):
        a, b = generated[(kind, 1)], generate(kind, 11, 1)
        assert a.image.tobytes() == b.image.tobytes(), kind
        assert a.truth == b.truth, kind
    # another index is another sample
    f0 = generated[("id_both_a4_copy", 0)].truth["documents"]
    f1 = generated[("id_both_a4_copy", 1)].truth["documents"]
    assert [d["fields"] for d in f0] != [d["fields"] for d in f1]
    # the generator never touches global random state
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    generate("id_back_clean", 1, 0)
    assert np.random.random() == before


def test_id_numbers_pass_checksum(generated):
    rng = rng_for("test", 0, 0)
    people = [make_person(rng) for _ in range(400)]
    assert all(gb11643_ok(p.id_number) for p in people)
    # check characters are uniform-ish: X appears about 1 time in 11
    share_x = sum(p.id_number[-1] == "X" for p in people) / len(people)
    assert 0.03 < share_x < 0.17
    # sequence parity follows sex; birth date is embedded
    for p in people:
        assert int(p.id_number[16]) % 2 == (1 if p.sex == "男" else 0)
        assert p.id_number[6:14] == p.birth_date.strftime("%Y%m%d")
    seen = 0
    for s in generated.values():
        for d in s.truth["documents"]:
            if "id_number" in d["fields"]:
                assert gb11643_ok(d["fields"]["id_number"]["value"])
                seen += 1
    assert seen >= 10


def test_valid_to_follows_age_rule(generated):
    rng = rng_for("test", 1, 0)
    for _ in range(400):
        p = make_person(rng)
        assert p.birth_date < p.valid_from <= dt.date(2026, 11, 30)
        assert p.valid_to == expected_valid_to(p.birth_date, p.valid_from)
    # and in rendered truth: back sides carry the same rule relative to the front's birth date
    for (kind, _), s in generated.items():
        docs = s.truth["documents"]
        fronts = [d for d in docs if d["type"] == "id_card_front"]
        backs = [d for d in docs if d["type"] == "id_card_back"]
        for f, b in zip(fronts, backs):
            birth = dt.date.fromisoformat(f["fields"]["birth_date"]["value"])
            start = dt.date.fromisoformat(b["fields"]["valid_from"]["value"])
            exp = expected_valid_to(birth, start)
            got = b["fields"]["valid_to"]["value"]
            assert got == (exp if isinstance(exp, str) else exp.isoformat()), kind


def test_truth_geometry_inside_image(generated):
    for (kind, _), s in generated.items():
        t = s.truth
        W, H = t["width"], t["height"]

        def inside_quad(q, tol=1.5):
            q = np.asarray(q)
            return (q[:, 0].min() >= -tol and q[:, 1].min() >= -tol
                    and q[:, 0].max() <= W + tol and q[:, 1].max() <= H + tol)

        for d in t["documents"]:
            assert inside_quad(d["quad"]), (kind, d["type"])
            for k, f in d["fields"].items():
                x0, y0, x1, y1 = f["bbox"]
                assert 0 <= x0 <= x1 < W and 0 <= y0 <= y1 < H, (kind, k)
                assert x1 - x0 >= 2 and y1 - y0 >= 2, (kind, k)
                for q in f["quads"]:
                    assert inside_quad(q), (kind, k)
        for ln in t["lines"]:
            x0, y0, x1, y1 = ln["bbox"]
            assert 0 <= x0 <= x1 < W and 0 <= y0 <= y1 < H
            if ln["role"] in ("value", "label", "title", "table", "header"):
                assert inside_quad(ln["quad"]), (kind, ln)


def test_normal_forms(generated):
    for (kind, _), s in generated.items():
        for d in s.truth["documents"]:
            f = {k: v["value"] for k, v in d["fields"].items()}
            for k in ("birth_date", "valid_from", "issue_date", "report_date"):
                if k in f:
                    assert DATE.match(f[k]), (kind, k, f[k])
            if "valid_to" in f:
                assert f["valid_to"] == "长期" or DATE.match(f["valid_to"])
            if "sex" in f:
                assert f["sex"] in ("男", "女")
            if "ethnicity" in f:
                assert not f["ethnicity"].endswith("族")
            if "address" in f:
                assert "\n" not in f["address"] and 10 <= len(f["address"]) <= 40
            if "age" in f:
                assert f["age"].isdigit()
            if "diagnosis" in f:  # joined with ；, without the printed numbering
                for part in f["diagnosis"].split("；"):
                    assert part and not re.match(r"^(\d+\s*[.、]|（\d+）)", part), f["diagnosis"]
            if "items" in f:
                items = f["items"]
                assert 8 <= len(items) <= 30 or d["type"] != "lab_report"
                for it in items:
                    # code only where the page prints a code column
                    assert set(it) >= {"name", "result", "unit", "reference_range", "flag"}
                    assert it["flag"] in ("↑", "↓", "")
                assert len(d["fields"]["items"]["item_bboxes"]) == len(items)


def _dark_fraction(img_bgr: np.ndarray, bbox, thresh: int) -> float:
    x0, y0, x1, y1 = bbox
    g = img_bgr[y0:y1 + 1, x0:x1 + 1].mean(axis=2)
    return float((g < thresh).mean()) if g.size else 0.0


def test_geometric_degradation_keeps_id_number_on_text():
    rng = rng_for("test-geom", 0, 0)
    p = make_person(rng)
    img, t = render_id_front(p, rng)  # degradations update ``t`` in place
    bb0 = t.to_dict()["documents"][0]["fields"]["id_number"]["bbox"]
    base = _dark_fraction(img[..., ::-1], bb0, 110)
    assert base > 0.08
    img2, t2 = D.rotate(img, t, rng, quarter=1, skew=6.0)
    img2, t2 = D.perspective(img2, t2, rng, strength=0.05)
    img2, t2 = D.downscale(img2, t2, rng, factor=0.6)
    td = t2.to_dict()
    doc = td["documents"][0]
    assert doc["rotation"] == 90
    bb = doc["fields"]["id_number"]["bbox"]
    out = np.ascontiguousarray(img2[..., ::-1])
    inside = _dark_fraction(out, bb, 110)
    assert inside > 0.03, inside
    # and the digits are really there: the quad's interior is darker than a shifted copy of it
    x0, y0, x1, y1 = bb
    w = x1 - x0
    shifted = [max(0, x0 - w - 5), y0, max(1, x0 - 5), y1]
    assert inside > _dark_fraction(out, shifted, 110)
    # the same with a phone photo
    img, t = render_id_front(p, rng_for("test-geom", 0, 1), alpha=True)
    img3, t3 = D.phone_photo(img, t, rng_for("test-geom", 0, 2))
    d3 = t3.to_dict()["documents"][0]
    assert _dark_fraction(np.ascontiguousarray(img3[..., ::-1]), d3["fields"]["id_number"]["bbox"], 120) > 0.02


def test_upside_down_page_has_both_sides_rotated(generated):
    for i in (0, 1):
        docs = generated[("id_both_a4_upside_down", i)].truth["documents"]
        assert sorted(d["type"] for d in docs) == ["id_card_back", "id_card_front"]
        assert all(d["rotation"] == 180 for d in docs)


def test_a4_copy_has_both_sides(generated):
    for i in (0, 1):
        docs = generated[("id_both_a4_copy", i)].truth["documents"]
        assert sorted(d["type"] for d in docs) == ["id_card_back", "id_card_front"]
        front = next(d for d in docs if d["type"] == "id_card_front")
        assert set(front["fields"]) == {"name", "sex", "ethnicity", "birth_date", "address", "id_number"}
        back = next(d for d in docs if d["type"] == "id_card_back")
        assert set(back["fields"]) == {"issuing_authority", "valid_from", "valid_to"}
