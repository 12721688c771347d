"""OCR engines behind one interface: `create_engine(OcrOptions(kind=...))`.

Engines register themselves by kind; ENGINE_MODULES lists the modules to import. Adding an
engine: one module with an @register("kind") class, and its name here.
"""
from __future__ import annotations

import importlib

from .base import EngineUnavailable, OcrEngine, OcrLine, OcrOptions, registry  # noqa: F401

ENGINE_MODULES = {"rapidocr": "ocr.rapid", "paddleocr": "ocr.paddle"}
DEFAULT_ENGINE = "rapidocr"


def available_kinds() -> list[str]:
    return list(ENGINE_MODULES)


def engine_class(kind: str) -> type[OcrEngine]:
    if kind not in ENGINE_MODULES:
        raise EngineUnavailable(f"unknown OCR engine kind {kind!r}; known: {', '.join(ENGINE_MODULES)}")
    importlib.import_module(ENGINE_MODULES[kind])
    return registry()[kind]


def create_engine(options: OcrOptions | None = None) -> OcrEngine:
    options = options or OcrOptions(kind=DEFAULT_ENGINE)
    return engine_class(options.kind)(options)
