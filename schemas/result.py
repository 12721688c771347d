"""The extraction result: pydantic models of ../shared/contract/extraction-result.md.

Keys named in the contract are never renamed or dropped; extra keys are allowed and used for
things the contract leaves open (per-stage timings, the OCR engine, text lines of a document).
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field as PField

BBox = list[float]  # [x0, y0, x1, y1] in page pixels, origin top-left

DOCUMENT_TYPES = (
    "id_card_front",
    "id_card_back",
    "medical_certificate",
    "discharge_summary",
    "lab_report",
    "death_certificate",
    "disability_certificate",
    "household_register",
    "social_security_card",
    "bank_card",
    "unknown",
)

# A field below this confidence sets needs_review on its document.
REVIEW_THRESHOLD = 0.90


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class FieldResult(_Model):
    value: Any
    confidence: float = PField(ge=0.0, le=1.0)
    bbox: BBox | None = None
    page: int = 1
    raw: str | None = None
    checks: list[str] = PField(default_factory=list)


class TextLine(_Model):
    text: str
    confidence: float
    bbox: BBox


class CrossCheck(_Model):
    status: Literal["match", "mismatch", "not_found", "skipped"] = "skipped"
    fields: dict[str, str] = PField(default_factory=dict)


class DocumentResult(_Model):
    type: str = "unknown"
    page: int = 1
    region: BBox | None = None
    confidence: float = 0.0
    needs_review: bool = True
    warnings: list[str] = PField(default_factory=list)
    fields: dict[str, FieldResult] = PField(default_factory=dict)
    crosscheck: CrossCheck = PField(default_factory=CrossCheck)


class ErrorItem(_Model):
    code: str
    message: str
    page: int | None = None


class ExtractionResult(_Model):
    source: str
    sha256: str
    pages: int = 0
    documents: list[DocumentResult] = PField(default_factory=list)
    errors: list[ErrorItem] = PField(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)
