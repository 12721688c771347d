"""Request and response models of the HTTP API (with the examples shown in OpenAPI)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RESULT_EXAMPLE: dict[str, Any] = {
    "source": "id_front.jpg",
    "sha256": "cda6bdfad568bf3c41032575638b0a7e5722bdcd6d071634c95b937f3d999193",
    "pages": 1,
    "documents": [{
        "type": "id_card_front", "page": 1, "region": [0.0, 0.0, 806.0, 508.0], "confidence": 0.998,
        "needs_review": True, "warnings": [],
        "fields": {
            "name": {"value": "刘萱娅", "confidence": 0.999, "bbox": [152.4, 52.5, 266.4, 97.1], "page": 1,
                     "raw": "刘萱娅", "checks": []},
            "sex": {"value": "女", "confidence": 0.999, "bbox": [145.7, 125.0, 183.6, 157.6], "page": 1, "raw": "女",
                    "checks": ["sex_matches_id"]},
            "ethnicity": {"value": "汉", "confidence": 0.61, "bbox": [332.3, 117.8, 385.4, 164.0], "page": 1,
                          "raw": "漢", "checks": ["ethnicity_known"]},
            "birth_date": {"value": "1982-08-17", "confidence": 0.999, "bbox": [145.7, 184.7, 446.1, 219.7],
                           "page": 1, "raw": "1982年8月17日", "checks": ["birth_date_matches_id"]},
            "id_number": {"value": "52272919820817700X", "confidence": 0.9966, "bbox": [258.8, 417.9, 770.8, 456.1],
                          "page": 1, "raw": "52272919820817700X", "checks": ["checksum_ok"]},
        },
        "crosscheck": {"status": "skipped", "fields": {}},
        "review_reasons": ["ethnicity: confidence 0.61 below 0.9"],
    }],
    "errors": [],
    "id": "6f1c0a4e9b2d4c3f8e7a6b5c4d3e2f10",
    "status": "done",
    "version": 1,
    "review_status": "pending",
    "duplicate": False,
    "links": {
        "self": "/v1/extractions/6f1c0a4e9b2d4c3f8e7a6b5c4d3e2f10",
        "pages": ["/v1/extractions/6f1c0a4e9b2d4c3f8e7a6b5c4d3e2f10/pages/1"],
        "review": "/review/6f1c0a4e9b2d4c3f8e7a6b5c4d3e2f10",
    },
}


class ErrorDetail(BaseModel):
    code: str = Field(examples=["file_too_large"])
    message: str = Field(examples=["the upload is 61234567 bytes; the limit is 52428800"])


class ErrorBody(BaseModel):
    error: ErrorDetail
    model_config = ConfigDict(json_schema_extra={"example": {"error": {
        "code": "unsupported_format", "message": "not a JPEG, PNG, BMP, WebP, TIFF or PDF file (recognised by content)"}}})


class Links(BaseModel):
    model_config = ConfigDict(extra="allow")
    self: str


class ExtractionOut(BaseModel):
    """The extraction result of the contract (`source`, `sha256`, `pages`, `documents`,
    `errors`), plus the service's keys: `id`, `status`, `version`, `review_status`,
    `duplicate`, `links` (and `review` once a reviewer decided)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": RESULT_EXAMPLE})
    source: str
    sha256: str
    pages: int
    documents: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    id: str
    status: Literal["done", "failed"]
    version: int
    review_status: Literal["none", "pending", "approved", "rejected"]


class JobAccepted(BaseModel):
    """The file is stored and queued; poll `links.self` (a 200 with the result when done)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "id": "6f1c0a4e9b2d4c3f8e7a6b5c4d3e2f10", "status": "queued", "source": "claim.pdf",
        "sha256": "9f2c…", "duplicate": False, "links": {"self": "/v1/extractions/6f1c0a4e9b2d4c3f8e7a6b5c4d3e2f10"},
    }})
    id: str
    status: Literal["queued", "running"]
    source: str
    sha256: str
    duplicate: bool = False
    links: Links


class FieldChange(BaseModel):
    document: int = Field(0, ge=0, le=100_000, description="index in `documents`")
    field: str = Field(min_length=1, max_length=64, examples=["id_number"])
    value: Any = Field(description="the corrected value; empty or null removes the field",
                       examples=["11010519491231002X"])


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "changes": [{"document": 0, "field": "ethnicity", "value": "汉"}], "base_version": 1, "note": "read from image"}})
    changes: list[FieldChange] = Field(default_factory=list, max_length=200)
    base_version: int | None = Field(None, ge=0, le=2_147_483_647,
                                     description="409 when the current version is another")
    note: str | None = Field(None, max_length=2000)


class DecisionIn(CorrectionIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "changes": [], "base_version": 2, "note": "checked against the original"}})
    reason: str | None = Field(None, max_length=2000)


class VersionOut(BaseModel):
    version: int
    kind: str
    actor: str
    created_at: str
    changes: list[dict[str, Any]] = []
    note: str | None = None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {
        "role": "portal", "tenant": "city-a", "name": "city A portal"}})
    role: Literal["portal", "reviewer", "admin"]
    tenant: str = Field(min_length=1, max_length=128)
    name: str | None = Field(None, max_length=200)
    rate_per_s: float | None = Field(None, gt=0, allow_inf_nan=False)
    burst: float | None = Field(None, ge=1, allow_inf_nan=False)


class KeyOut(BaseModel):
    key: str = Field(description="shown once; only its hash is stored")
    key_id: str
    role: str
    tenant: str


class ExtractionSummary(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    tenant: str
    source: str
    sha256: str
    status: Literal["queued", "running", "done", "failed"]
    review_status: Literal["none", "pending", "approved", "rejected"]
    version: int
    created_at: float = Field(description="Unix time")
    doc_types: str | None = None
    links: Links


class ExtractionList(BaseModel):
    items: list[ExtractionSummary]
    limit: int
    offset: int


class QueueItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    tenant: str
    source: str
    status: Literal["queued", "running", "done", "failed"]
    review_status: Literal["none", "pending", "approved", "rejected"]
    version: int
    created_at: str | None
    updated_at: str | None
    min_conf: float | None = None
    failing_checks: int | None = None
    risk: float | None = None
    doc_types: str | None = None
    links: Links


class QueueOut(BaseModel):
    items: list[QueueItem]
    limit: int
    offset: int


class AuditVerifyOut(BaseModel):
    ok: bool
    entries: int
    problems: list[str]


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    """`status` is `ready` (200) or `not_ready` (503); `checks` says which part is not."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"example": {
        "status": "ready", "checks": {"database": True, "storage": True, "workers": True},
        "workers_alive": 2, "workers_ready": 2, "workers_wanted": 2}})
    status: Literal["ready", "not_ready"]
    checks: dict[str, bool]


ERROR_DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON or not multipart)",
    401: "Missing or unknown API key", 403: "The key's role may not do this",
    404: "No such extraction (or another tenant's)", 409: "Stale base_version, or not finished yet",
    413: "File too large", 415: "Not a supported file type",
    422: "Invalid request: a parameter or the body does not match this document",
    429: "Rate limit exceeded (see Retry-After)",
    503: "The database or the upload storage is unavailable for now (`database_unavailable`, "
         "`storage_unavailable`): retry after Retry-After seconds",
    507: "The upload storage is full (`insufficient_storage`): nothing was stored; retry after Retry-After seconds",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "required": True,
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for c in codes:
        out[c] = {"model": ErrorBody, "description": ERROR_DESCRIPTIONS.get(c, "Error")}
        if c in (429, 503, 507):
            out[c]["headers"] = _RETRY_AFTER
    return out
