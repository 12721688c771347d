"""Document types declared as data: one YAML file per type in schemas/doctypes/.

A declaration names the printed title, how to recognise the type (weighted keywords and
patterns), and its fields: label synonyms, value type (which selects the normaliser), whether
it is required, an optional pattern the value must match, how many lines it may span, and for
cards the box (fractions of the card) where the value is printed. Adding a document type is one
YAML file (and its tests); see README "Adding a document type".
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DOCTYPES_DIR = Path(__file__).parent / "doctypes"


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: list[str] = Field(default_factory=list)
    type: str = "text"
    required: bool = False
    pattern: str | None = None
    multiline: int = 1  # how many lines a value may span
    template: list[float] | None = None  # card layouts: value box as fractions of the card
    split: list[str] | None = None  # one printed value giving several fields (validity)
    below: bool = True  # the value may be printed under its label
    columns: dict[str, list[str]] | None = None  # table fields: column -> header synonyms


class Classify(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keywords: dict[str, float] = Field(default_factory=dict)
    patterns: dict[str, float] = Field(default_factory=dict)
    min_score: float = 3.0


class DocType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str
    title: str
    layout: Literal["card", "page"] = "page"
    classify: Classify
    fields: dict[str, FieldSpec]
    checks: str | None = None

    def required_fields(self) -> list[str]:
        out = []
        for name, spec in self.fields.items():
            if spec.required:
                out.extend(spec.split or [name])
        return out

    def all_labels(self) -> list[str]:
        return [lab for spec in self.fields.values() for lab in spec.labels]


@lru_cache(maxsize=1)
def load_doctypes(directory: str | None = None) -> dict[str, DocType]:
    d = Path(directory) if directory else DOCTYPES_DIR
    out: dict[str, DocType] = {}
    for path in sorted(d.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        dt = DocType.model_validate(data)
        if dt.type != path.stem:
            raise ValueError(f"{path.name}: type {dt.type!r} must match the file name")
        out[dt.type] = dt
    return out
