"""Typed records: the extraction-result contract and the document types declared as data."""
from .result import (  # noqa: F401
    DOCUMENT_TYPES,
    REVIEW_THRESHOLD,
    CrossCheck,
    DocumentResult,
    ErrorItem,
    ExtractionResult,
    FieldResult,
    TextLine,
)
