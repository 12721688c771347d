"""The OCR engine interface: an options object with a `kind`, a registry, one class per engine.

Adding an engine means one new module in ocr/ that subclasses OcrEngine and decorates it with
@register("kind"), plus its name in ENGINE_MODULES (ocr/__init__.py).
"""
from __future__ import annotations

import abc
import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ClassVar, NamedTuple

import numpy as np


class EngineUnavailable(RuntimeError):
    """The engine's package or model files are missing or do not match their hashes."""


@dataclass
class OcrLine:
    """One recognised text line."""

    text: str
    confidence: float
    polygon: list[tuple[float, float]]  # 4 points, clockwise from top-left, page pixels
    char_confidences: list[float] | None = None  # per character, when the engine gives them
    # per character: the recogniser's best alternatives [(char, prob), ...], when available
    char_alternatives: list[list[tuple[str, float]]] | None = None
    # per character: centre as a fraction (0..1) of the line's length, when available
    char_positions: list[float] | None = None

    @property
    def bbox(self) -> list[float]:
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return [float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))]

    @property
    def height(self) -> float:
        b = self.bbox
        return b[3] - b[1]

    def shifted(self, dx: float, dy: float) -> "OcrLine":
        return dataclasses.replace(self, polygon=[(x + dx, y + dy) for x, y in self.polygon])


@dataclass
class OcrOptions:
    kind: str = "rapidocr"
    threads: int = 2
    # detection limits: the longer image side is scaled down to at most this many pixels
    max_side: int = 1600
    # drop lines below this recogniser score (they are still reported as low-confidence text)
    min_score: float = 0.3
    extra: dict = field(default_factory=dict)


class OcrEngine(abc.ABC):
    kind: ClassVar[str] = ""

    def __init__(self, options: OcrOptions):
        self.options = options

    @abc.abstractmethod
    def recognize(self, image: np.ndarray, det_side: int | None = None) -> list[OcrLine]:
        """Detect and recognise text lines in a BGR uint8 image. `det_side`: the longer side
        the detector sees the image at (default: the engine's `det_limit_side_len`, 960); a
        page of small print is better found at a larger side."""

    @abc.abstractmethod
    def recognize_crops(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Recognise already-cropped single text lines (no detection)."""

    def recognize_lines(self, crops: list[np.ndarray]) -> list[OcrLine]:
        """Recognise single-line crops into OcrLines (polygon = the crop's own frame), with
        per-character data when the engine has it. Engines override this when they can."""
        out = []
        for crop, (text, score) in zip(crops, self.recognize_crops(crops)):
            h, w = crop.shape[:2]
            out.append(OcrLine(text=text, confidence=score, polygon=[(0, 0), (w, 0), (w, h), (0, h)]))
        return out

    def text_orientations(self, crops: list[np.ndarray]) -> list[tuple[int, float]] | None:
        """Per single-line crop: (0 or 180, probability) from the engine's text-line
        orientation classifier; None for an engine that has none."""
        return None

    def recognize_upright(self, image: np.ndarray, det_side: int | None = None) -> tuple[list[OcrLine], "Orientation"]:
        """As `recognize`, but lines that the engine's orientation classifier finds mostly
        upside down are recognised turned half round: then the lines are in the frame of the
        image turned 180 degrees and `turned` is set. Deciding from the detector's boxes
        before recognising saves reading a turned card twice. Engines without a classifier
        read the image as it lies, with no verdict."""
        return self.recognize(image, det_side), Orientation()

    @classmethod
    def model_files(cls) -> dict[str, tuple[Path, str]]:
        """name -> (path, expected sha256) of the model files the engine loads."""
        return {}

    @classmethod
    def verify_models(cls) -> dict[str, str]:
        """Check every model file against its sha256; raise EngineUnavailable otherwise."""
        out = {}
        for name, (path, expected) in cls.model_files().items():
            if not path.is_file():
                raise EngineUnavailable(f"{cls.kind}: model file {name} missing at {path}")
            got = sha256_file(path)
            if got != expected:
                raise EngineUnavailable(
                    f"{cls.kind}: model file {name} at {path} has sha256 {got}, expected {expected}"
                )
            out[name] = got
        return out


class Orientation(NamedTuple):
    """The orientation classifier's verdict on a view's lines: `turned`, they are upside
    down (and were recognised turned); `clear`, nearly all of them agree, surely."""

    turned: bool = False
    clear: bool = False


def orientation_verdict(widths: list[float], orientations: list[tuple[int, float]], sure: float = 0.9,
                        share: float = 0.7, clear_share: float = 0.9, min_lines: int = 2,
                        clear_lines: int = 3) -> Orientation:
    """Turned when at least `min_lines` lines are classified surely and the surely turned
    ones make `share` of their width (a wide line says more than a lone character); clear
    when `clear_lines` are sure and `clear_share` of the width agrees either way."""
    surely = [(w, deg) for w, (deg, p) in zip(widths, orientations) if p >= sure]
    total = sum(w for w, _ in surely)
    if len(surely) < min_lines or total <= 0:
        return Orientation()
    part = sum(w for w, deg in surely if deg == 180) / total
    clear = len(surely) >= clear_lines and (part >= clear_share or part <= 1 - clear_share)
    return Orientation(part >= share, clear)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


_REGISTRY: dict[str, type[OcrEngine]] = {}


def register(kind: str) -> Callable[[type[OcrEngine]], type[OcrEngine]]:
    def deco(cls: type[OcrEngine]) -> type[OcrEngine]:
        cls.kind = kind
        _REGISTRY[kind] = cls
        return cls

    return deco


def registry() -> dict[str, type[OcrEngine]]:
    return dict(_REGISTRY)
