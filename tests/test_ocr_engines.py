"""Both OCR engines, for real, offline, on rendered text with known truth."""
import numpy as np
import pytest

from ocr import EngineUnavailable, OcrOptions, available_kinds, create_engine, engine_class
from ocr.base import OcrEngine, register, registry
from tests.helpers import LINES, char_accuracy, text_image


def _bgr(img):
    return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])


@pytest.mark.parametrize("fixture", ["rapid_engine", "paddle_engine"])
def test_engine_reads_rendered_lines(fixture, request):
    engine = request.getfixturevalue(fixture)
    lines = engine.recognize(_bgr(text_image()))
    assert len(lines) >= len(LINES)
    got = "".join(l.text for l in sorted(lines, key=lambda l: (l.bbox[1], l.bbox[0])))
    assert char_accuracy(got, "".join(LINES)) >= 0.95, got
    for l in lines:
        assert 0.0 <= l.confidence <= 1.0
        x0, y0, x1, y1 = l.bbox
        assert 0 <= x0 < x1 <= 1000 and 0 <= y0 < y1 <= 560
    # the first line sits where it was drawn (40, 40)
    top = min(lines, key=lambda l: l.bbox[1])
    assert abs(top.bbox[0] - 40) < 15 and abs(top.bbox[1] - 40) < 20


@pytest.mark.parametrize("fixture", ["rapid_engine", "paddle_engine"])
def test_recognize_crops(fixture, request):
    engine = request.getfixturevalue(fixture)
    img = _bgr(text_image(["公民身份号码 11010519491231002X"], size=(900, 120)))
    [(text, score)] = engine.recognize_crops([img[20:110, 20:880]])
    assert "11010519491231002X" in text.replace(" ", "")
    assert score > 0.8


def test_rapid_gives_character_probabilities_and_alternatives(rapid_engine):
    img = _bgr(text_image(["11010519491231002X"], size=(700, 120)))
    [line] = rapid_engine.recognize(img)
    assert line.text == "11010519491231002X"
    assert len(line.char_confidences) == len(line.text) == len(line.char_alternatives)
    assert all(alts[0][0] == ch for ch, alts in zip(line.text, line.char_alternatives))
    # positions increase along the line
    assert line.char_positions == sorted(line.char_positions)


def test_models_are_verified_by_hash():
    for kind in available_kinds():
        hashes = engine_class(kind).verify_models()
        assert hashes and all(len(h) == 64 for h in hashes.values())


def test_tampered_model_is_refused(tmp_path, monkeypatch):
    cls = engine_class("rapidocr")
    files = cls.model_files()
    bad = tmp_path / "det.onnx"
    bad.write_bytes(b"not a model")
    name = next(iter(files))
    monkeypatch.setattr(cls, "model_files", classmethod(lambda c: {name: (bad, files[name][1])}))
    with pytest.raises(EngineUnavailable, match="sha256"):
        cls.verify_models()


def test_unknown_engine_kind_is_a_clear_error():
    with pytest.raises(EngineUnavailable, match="unknown OCR engine kind 'nope'"):
        create_engine(OcrOptions(kind="nope"))


def test_registry_adds_an_engine_in_one_place():
    @register("echo-test")
    class Echo(OcrEngine):
        def recognize(self, image, det_side=None):
            return []

        def recognize_crops(self, crops):
            return [("x", 1.0) for _ in crops]

    assert registry()["echo-test"] is Echo
    assert Echo(OcrOptions(kind="echo-test")).recognize_lines([np.zeros((10, 30, 3), np.uint8)])[0].text == "x"


@pytest.mark.parametrize("fixture", ["rapid_engine", "paddle_engine"])
def test_detector_side_per_call_finds_small_print(fixture, request):
    """A wide page of small print: at the default detector side (960) the text shrinks to a
    few pixels and lines are lost; asked for a larger side, the same engine finds them all,
    and the next call is back at the default."""
    engine = request.getfixturevalue(fixture)
    line = "姓名 王小明 性别 男 年龄 45岁 科室 心内科 病历号 20240305"
    img = _bgr(text_image([line] * 6, size=(3200, 1200), font_size=12))
    want = line.replace(" ", "") * 6

    def read(side):
        return char_accuracy("".join(l.text for l in engine.recognize(img, side)), want)

    small, large = read(None), read(1600)
    assert large >= 0.97
    assert large >= small + 0.1, (small, large)
    assert read(None) == pytest.approx(small, abs=0.02)
