"""The text-line orientation classifier (inside the rapidocr wheel) decides, from the detector's
boxes and before any recognition, whether a view is upside down; a photo's card edge and shadow
are not text beside the card. Real engine, rendered text and generated cards (dev seeds)."""
import cv2
import numpy as np
import pytest

from ocr.base import Orientation, orientation_verdict
from samples.generate import generate
from tests.helpers import LINES, char_accuracy, text_image


def _bgr(img):
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


def test_verdict_weighs_sure_lines_by_width():
    # two wide lines turned, a shorter one upright: turned, and not clear (1/8 disagrees)
    v = orientation_verdict([400, 300, 100], [(180, 0.99), (180, 0.98), (0, 0.97)])
    assert v == Orientation(turned=True, clear=False)
    # a lone character upright against two wide lines is outweighed: clear
    assert orientation_verdict([400, 300, 40], [(180, 0.99), (180, 0.98), (0, 0.97)]).clear
    # the same lines, all agreeing: clear either way
    assert orientation_verdict([400, 300, 40], [(180, 1.0)] * 3) == Orientation(True, True)
    assert orientation_verdict([400, 300, 40], [(0, 1.0)] * 3) == Orientation(False, True)
    # unsure lines do not count: one sure line is no verdict
    assert orientation_verdict([400, 300], [(180, 0.99), (180, 0.6)]) == Orientation()
    # half and half: read as it lies, unclear
    assert orientation_verdict([300, 300, 10], [(180, 1.0), (0, 1.0), (0, 1.0)]) == Orientation(False, False)
    assert orientation_verdict([], []) == Orientation()


def test_upside_down_text_is_read_once_turned(rapid_engine):
    img = _bgr(text_image())
    upright, v0 = rapid_engine.recognize_upright(img)
    assert v0 == Orientation(turned=False, clear=True)
    turned_img = cv2.rotate(img, cv2.ROTATE_180)
    lines, v = rapid_engine.recognize_upright(turned_img)
    assert v.turned and v.clear
    got = "".join(l.text for l in sorted(lines, key=lambda l: (l.bbox[1], l.bbox[0])))
    assert char_accuracy(got, "".join(LINES)) >= 0.95, got
    # the boxes are in the frame of the image turned back: the first line where it was drawn
    top = min(lines, key=lambda l: l.bbox[1])
    assert abs(top.bbox[0] - 40) < 15 and abs(top.bbox[1] - 40) < 20
    # and they agree with the boxes read from the upright image
    for a, b in zip(sorted(upright, key=lambda l: l.bbox[1]), sorted(lines, key=lambda l: l.bbox[1])):
        assert np.allclose(a.bbox, b.bbox, atol=8)


def test_turned_card_is_recognised_once(pipeline, monkeypatch):
    """An upside-down card crop: its lines are recognised once, turned (the classifier decided
    from the detector's boxes); it is not first read as it lies and then read again."""
    s = generate("id_front_clean", 11, 0)
    img = cv2.rotate(s.image, cv2.ROTATE_180)
    calls = []
    real = pipeline.engine.recognize
    monkeypatch.setattr(pipeline.engine, "recognize", lambda *a, **k: calls.append(1) or real(*a, **k))
    res = pipeline.extract_bytes(cv2.imencode(".png", img)[1].tobytes(), "turned.png").to_json_dict()
    [doc] = res["documents"]
    assert doc["type"] == "id_card_front" and doc.get("rotation") == 180
    truth = s.truth["documents"][0]["fields"]
    assert doc["fields"]["id_number"]["value"] == truth["id_number"]["value"]
    assert doc["fields"]["name"]["value"] == truth["name"]["value"]
    assert len(calls) == 1  # the one reading, upright


@pytest.mark.parametrize("kind,index", [("id_front_photo", 0), ("id_back_photo", 0), ("id_back_photo", 1)])
def test_a_photos_card_edge_is_not_text_beside_the_card(pipeline, kind, index):
    from extract import pages as P

    img = generate(kind, 781, index).image
    quads = [np.asarray(r.quad, np.float32).reshape(4, 2) for r in P.find_card_regions(img)]
    assert len(quads) == 1
    assert not pipeline._ink_outside(img, quads)
    # a line of print beside the card is
    h, w = img.shape[:2]
    q = quads[0]
    x = int(q[:, 0].max()) + 40 if q[:, 0].max() < 0.6 * w else 30
    marked = img.copy()
    for k in range(4):
        cv2.putText(marked, "SOCIAL SECURITY 2024", (x, int(0.2 * h) + 60 * k) if x > 30 else (x, h - 60 - 60 * k),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
    assert pipeline._ink_outside(marked, quads)
