"""RapidOCR 3.x on onnxruntime, with the PP-OCRv6 small det/rec and the text-line
orientation models that ship inside the rapidocr wheel. Never downloads anything."""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np

from .base import EngineUnavailable, OcrEngine, OcrLine, OcrOptions, Orientation, orientation_verdict, register
from .ctc import DecodedLine, ctc_decode

# sha256 of the model files inside rapidocr==3.10.0 (verified at load)
_MODELS = {
    "det": ("PP-OCRv6_det_small.onnx", "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"),
    "rec": ("PP-OCRv6_rec_small.onnx", "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"),
    "cls": ("ch_ppocr_mobile_v2.0_cls_mobile.onnx", "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"),
}


def _package_dir() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        raise EngineUnavailable("rapidocr is not installed: pip install 'rapidocr>=3.4,<4' onnxruntime")
    if importlib.util.find_spec("onnxruntime") is None:
        raise EngineUnavailable("onnxruntime is not installed: pip install onnxruntime")
    return Path(spec.origin).parent


@register("rapidocr")
class RapidOcrEngine(OcrEngine):
    def __init__(self, options: OcrOptions):
        super().__init__(options)
        self.verify_models()
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        from rapidocr import EngineType, LangDet, LangRec, ModelType, OCRVersion, RapidOCR  # noqa: F401

        d = _package_dir() / "models"
        t = max(1, int(options.threads))
        params = {
            "Global.log_level": "critical",
            "Global.text_score": float(options.min_score),
            "Global.max_side_len": int(options.max_side),
            "Global.use_cls": bool(options.extra.get("use_cls", False)),
            "Det.model_path": str(d / _MODELS["det"][0]),
            "Rec.model_path": str(d / _MODELS["rec"][0]),
            "Cls.model_path": str(d / _MODELS["cls"][0]),
            "Det.limit_side_len": int(options.extra.get("det_limit_side_len", 960)),
            "Det.limit_type": "max",
            "EngineConfig.onnxruntime.intra_op_num_threads": t,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        self._ocr = RapidOCR(params=params)
        self._rec = self._ocr._load_rec_model()
        self._ocr._load_det_model()
        self._cls = self._ocr._load_cls_model()
        # class index -> character (index 0 is the CTC blank)
        self._charset = list(self._rec.postprocess_op.character)

    @classmethod
    def model_files(cls):
        d = _package_dir() / "models"
        return {k: (d / name, sha) for k, (name, sha) in _MODELS.items()}

    def detect(self, image: np.ndarray, det_side: int | None = None) -> list[np.ndarray]:
        """Text-line quadrilaterals (4x2 float32, page pixels)."""
        td = self._ocr.text_det
        default = td.limit_side_len
        if det_side:
            td.limit_side_len = int(det_side)
        try:
            det = self._ocr(image, use_cls=False, use_rec=False)
        finally:
            td.limit_side_len = default
        boxes = getattr(det, "boxes", None)
        if boxes is None:
            return []
        return [np.asarray(b, dtype=np.float32).reshape(-1, 2)[:4] for b in boxes]

    def recognize(self, image: np.ndarray, det_side: int | None = None) -> list[OcrLine]:
        from rapidocr.utils.process_img import get_rotate_crop_image

        boxes = self.detect(image, det_side)
        crops = [get_rotate_crop_image(image, b.copy()) for b in boxes]
        return self._read(boxes, crops)

    def recognize_upright(self, image: np.ndarray, det_side: int | None = None) -> tuple[list[OcrLine], Orientation]:
        import cv2
        from rapidocr.utils.process_img import get_rotate_crop_image

        boxes = self.detect(image, det_side)
        crops = [get_rotate_crop_image(image, b.copy()) for b in boxes]
        orient = self.text_orientations(crops) or []
        verdict = orientation_verdict([c.shape[1] for c in crops], orient)
        if verdict.turned:
            # detected again, upright: the detector finds upright print more whole (a line
            # half under a watermark was found in full only the right way up)
            return self.recognize(cv2.rotate(image, cv2.ROTATE_180), det_side), verdict
        return self._read(boxes, crops), verdict

    def text_orientations(self, crops: list[np.ndarray]) -> list[tuple[int, float]] | None:
        if not crops:
            return []
        res = self._cls(crops).cls_res
        return [(180 if "180" in str(label) else 0, float(score)) for label, score in res]

    def _read(self, boxes: list[np.ndarray], crops: list[np.ndarray]) -> list[OcrLine]:
        lines = []
        for box, line in zip(boxes, self.recognize_lines(crops)):
            if line.text.strip() and line.confidence >= self.options.min_score:
                line.polygon = [(float(x), float(y)) for x, y in box]
                lines.append(line)
        return lines

    def decode_crops(self, crops: list[np.ndarray]) -> list[DecodedLine]:
        """Recognise single-line crops, keeping character probabilities and alternatives."""
        if not crops:
            return []
        rec = self._rec
        c, h, w = rec.rec_image_shape[:3]
        out: list[DecodedLine | None] = [None] * len(crops)
        order = np.argsort([im.shape[1] / max(1, im.shape[0]) for im in crops])
        bs = 6
        for s in range(0, len(crops), bs):
            idx = order[s : s + bs]
            ratio = max([w / h] + [crops[i].shape[1] / max(1, crops[i].shape[0]) for i in idx])
            batch = np.concatenate([rec.resize_norm_img(crops[i], ratio)[None] for i in idx]).astype(np.float32)
            preds = rec.session(batch)
            preds = np.asarray(preds[0] if isinstance(preds, (list, tuple)) else preds)
            in_w = int(h * ratio)
            for j, i in enumerate(idx):
                dec = ctc_decode(preds[j], self._charset)
                ch, cw = crops[i].shape[:2]
                used = min(in_w, int(np.ceil(h * cw / max(1, ch))))
                # positions: fraction of the padded model input -> fraction of the crop
                dec.positions = [min(1.0, p * in_w / max(1, used)) for p in (dec.positions or [])]
                out[i] = dec
        return out  # type: ignore[return-value]

    def recognize_lines(self, crops: list[np.ndarray]) -> list[OcrLine]:
        out = []
        for crop, dec in zip(crops, self.decode_crops(crops)):
            h, w = crop.shape[:2]
            out.append(
                OcrLine(
                    text=dec.text,
                    confidence=dec.score,
                    polygon=[(0, 0), (w, 0), (w, h), (0, h)],
                    char_confidences=dec.char_probs,
                    char_alternatives=dec.alternatives,
                    char_positions=dec.positions,
                )
            )
        return out

    def recognize_crops(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        return [(d.text, d.score) for d in self.decode_crops(crops)]
