"""Field-extraction stage, pluggable: extractors register by name; the pipeline asks for one
by name (`rules` today; a learned token classifier trained on reviewers' corrections can
register beside it without touching the rest of the pipeline)."""
from __future__ import annotations

from typing import Any, Callable, Protocol

from ocr.base import OcrLine
from schemas.doctypes import DocType

from .base import ExtractedField


class FieldExtractor(Protocol):
    name: str

    def extract(
        self, doctype: DocType, lines: list[OcrLine], view_size: tuple[int, int], image: Any = None
    ) -> dict[str, ExtractedField]:
        """Fields of one document from its text lines (view coordinates). `image` (the view,
        BGR) is optional: colour (red seals) and ruling lines help when it is given."""


_EXTRACTORS: dict[str, Callable[[], FieldExtractor]] = {}


def register_extractor(name: str):
    def deco(factory):
        _EXTRACTORS[name] = factory
        return factory

    return deco


def get_extractor(name: str = "rules") -> FieldExtractor:
    if name not in _EXTRACTORS:
        from . import rules  # noqa: F401  (registers "rules")
    if name not in _EXTRACTORS:
        raise KeyError(f"unknown field extractor {name!r}; known: {', '.join(_EXTRACTORS)}")
    return _EXTRACTORS[name]()
