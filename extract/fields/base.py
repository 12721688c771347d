from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExtractedField:
    value: Any
    raw: str
    bbox: list[float] | None  # view pixels (mapped to page pixels by the pipeline)
    char_confs: list[float]
    source: str  # label | right | below | template | pattern | derived
    checks: list[str] = field(default_factory=list)
    alts: list[list[tuple[str, float]]] | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
