"""Document types declared as data: one YAML file per type in schemas/doctypes/.

A declaration names the printed title, how to recognise the type (weighted titles, keywords
and patterns; negative weights are evidence against), and its fields: label synonyms, value
type (which selects the normaliser), whether it is required, an optional pattern the value must
match (and where to look for it), how many lines it may span, and for cards the box (fractions
of the card) where the value is printed. A `type: table` field declares its columns by header
synonyms. At document level: `other_labels` (printed labels of things not extracted, which end
a value), `ignore` (words a label must not be read out of: the title 诊断证明书 holds the label
诊断), `sentences` (fill-in sentences, one regex per blank or group of blanks) and
`continues_over_pages` (pages that continue the document are joined to it). Adding a
document type is one YAML file (and its tests); see README "Adding a document type".
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
    # the value must match this (spaces ignored); a named group `v` is the value within the match
    pattern: str | None = None
    # where `pattern` is looked for when the label gives nothing: `page` (anywhere, or inside
    # `within`), `value` (only in the lines the label's value came from)
    search: Literal["page", "value"] = "page"
    # a value matching this (spaces ignored) is not the field's, whatever its label: another
    # column's text beside it (an interval 5年 where a disease's name was not read)
    reject: str | None = None
    within: list[float] | None = None  # pattern search area as fractions of the view (x0, y0, x1, y1)
    multiline: int = 1  # how many lines a value may span
    line_gap: float = 0.9  # continuation lines: largest vertical gap, in line heights
    template: list[float] | None = None  # card layouts: value box as fractions of the card
    split: list[str] | None = None  # one printed value giving several fields (validity)
    below: bool = True  # the value may be printed under its label
    collect: bool = False  # every occurrence of the labels gives a part; parts joined with `；`
    # a line that is this and nothing else (spaces ignored) is the value where no label gave one
    # (a seal over the label): the page's one such line, neither a label's nor another value's,
    # taken with `found_without_label` for a reviewer to confirm
    alone: str | None = None
    # labels that are also a value's first word (建议 of 建议休息两周, printed under 医嘱): run
    # into the text without a colon or a space, such a label is the value's beginning (its
    # colon lost, or the value's own word where the form's label was not read?), kept in the
    # value and flagged `label_word_in_value` for a reviewer
    opens_value: list[str] = Field(default_factory=list)
    # table fields (type: table): column -> header synonyms; `end`: words that close the table
    columns: dict[str, list[str]] | None = None
    end: list[str] | None = None


class Sentence(BaseModel):
    """A printed sentence with blanks filled in ("兹证明患者___，性别___，___岁…").

    When `when` (a regex) is found in the document's text, each pattern is matched on the text
    of the lines joined in reading order (spaces and underscores ignored, so a value may wrap
    onto the next line); every named group is a field and overrides a label-paired value."""

    model_config = ConfigDict(extra="forbid")
    when: str
    patterns: list[str]


class Classify(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # printed titles: full weight in a title-like line (large print near the top), half elsewhere
    titles: dict[str, float] = Field(default_factory=dict)
    keywords: dict[str, float] = Field(default_factory=dict)  # negative weights: evidence against
    patterns: dict[str, float] = Field(default_factory=dict)
    min_score: float = 3.0


class DocType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str
    title: str
    layout: Literal["card", "page"] = "page"
    # "black": every value is printed in black ink (labels may be coloured), so coloured ink (a red seal, a blue
    # "与原件一致" written over a copy) is never part of a value and may be whitened before a
    # second reading; "any": values may be coloured (a hospital's red header, a blue-pen note)
    printed_ink: Literal["black", "any"] = "any"
    classify: Classify
    fields: dict[str, FieldSpec]
    checks: str | None = None
    # labels of printed things that are not extracted: they end a value and are never one
    other_labels: list[str] = Field(default_factory=list)
    # words a label must not be read out of (the title 诊断证明书 holds the label 诊断)
    ignore: list[str] = Field(default_factory=list)
    sentences: list[Sentence] = Field(default_factory=list)
    # the document may run over several pages (a long 出院记录): a following page that continues
    # it (page marker 第2页, the same patient in a running header, no title of another type) is
    # joined to it by extract/merge.py, read with this type's fields even when it is `unknown`
    # on its own
    continues_over_pages: bool = False

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
