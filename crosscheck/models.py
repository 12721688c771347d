"""The golden record of a person, validated on import, and the per-document-type field map."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from .normalize import (
    DISABILITY_CATEGORIES, DISABILITY_LEVELS, category_code, clean_spaces, id_birth_date,
    id_checksum_ok, id_sex, level_code, norm_date, norm_digits, norm_disability_category,
    norm_disability_level, norm_ethnicity, norm_id, norm_name, norm_sex, to_halfwidth,
)

GOLDEN_FIELDS: tuple[str, ...] = (
    "id_number", "name", "former_names", "sex", "ethnicity", "birth_date", "address",
    "status", "death_date", "disability_certificate_number", "disability_category",
    "disability_level", "social_security_number", "bank_account", "pension_status",
)
PENSION_STATUSES = ("receiving", "suspended", "stopped", "none")
_PENSION_ALIASES = {"领取": "receiving", "领取中": "receiving", "正常": "receiving", "在领": "receiving",
                    "暂停": "suspended", "停发": "suspended", "终止": "stopped", "停止": "stopped",
                    "无": "none", "未领取": "none", "": None}
_STATUS_ALIASES = {"alive": "alive", "living": "alive", "在世": "alive", "正常": "alive", "健在": "alive",
                   "deceased": "deceased", "dead": "deceased", "死亡": "deceased", "已故": "deceased",
                   "注销": "deceased"}
_SPLIT_NAMES = re.compile(r"[;；、,，|]")


def _blank(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


# --------------------------------------------------------------------------- per-field normal forms
# One plain function per field (raises ValueError with the reason), applied in one pass by
# `prepare()`: the importer calls it itself (every bad field of a row is reported, with its
# name) and pydantic then checks types and the whole-record rules; `GoldenRecord.model_validate`
# on a raw dict runs the same pass.
def _v_id(v: Any) -> str:
    s = norm_id(v)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", s):
        raise ValueError("not an 18-character (or 15-digit) citizen ID number")
    if not id_checksum_ok(s):
        raise ValueError("check character does not match (GB 11643)")
    if id_birth_date(s) is None:
        raise ValueError("the birth date part is not a date")
    return s


def _v_name(v: Any) -> str:
    s = norm_name(v)
    if not s:
        raise ValueError("empty name")
    if re.search(r"[0-9]", s):
        raise ValueError("digits in a name")
    return s


def _v_former(v: Any) -> list[str]:
    if isinstance(v, str):
        if v.startswith("["):
            v = json.loads(v)
        else:
            v = _SPLIT_NAMES.split(v)
    if not isinstance(v, (list, tuple)):
        raise ValueError("a list of names")
    return [norm_name(x) for x in v if x and str(x).strip()]


def _v_date(v: Any) -> Any:
    if isinstance(v, date):
        return v
    s = norm_date(v)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        raise ValueError(f"not a date: {str(v)[:20]!r}")
    return s


def _v_status(v: Any) -> str:
    s = str(v).strip().lower()
    if s not in _STATUS_ALIASES:
        raise ValueError("status must be alive or deceased")
    return _STATUS_ALIASES[s]


def _v_pension(v: Any) -> Any:
    s = str(v).strip().lower()
    s = _PENSION_ALIASES.get(s, s)
    if s is not None and s not in PENSION_STATUSES:
        raise ValueError(f"pension_status must be one of {', '.join(PENSION_STATUSES)}")
    return s


def _v_cat(v: Any) -> str:
    s = norm_disability_category(v)
    if s not in DISABILITY_CATEGORIES.values():
        raise ValueError(f"unknown disability category {s!r}")
    return s


def _v_lvl(v: Any) -> str:
    s = norm_disability_level(v)
    if s not in DISABILITY_LEVELS.values():
        raise ValueError(f"unknown disability level {s!r}")
    return s


def _v_sex(v: Any) -> str:
    s = norm_sex(v)
    if s not in ("男", "女"):
        raise ValueError("sex must be 男 or 女 (M/F, 男性/女性)")
    return s


def _v_bank(v: Any) -> str:
    s = norm_digits(v)
    if not 8 <= len(s) <= 32:
        raise ValueError("a bank account has 8–32 digits")
    return s


_FIELD_NORMALISERS = {
    "id_number": _v_id,
    "name": _v_name,
    "former_names": _v_former,
    "sex": _v_sex,
    "ethnicity": norm_ethnicity,
    "birth_date": _v_date,
    "death_date": _v_date,
    "address": lambda v: clean_spaces(to_halfwidth(str(v))),
    "status": _v_status,
    "pension_status": _v_pension,
    "disability_category": _v_cat,
    "disability_level": _v_lvl,
    "disability_certificate_number": norm_id,
    "social_security_number": norm_id,
    "bank_account": _v_bank,
}


def prepare(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normal forms of a raw row: (values, [(field, reason), …]). Blank values are dropped
    (the field's default applies); a death date without a status means deceased."""
    out: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for k, v in data.items():
        fn = _FIELD_NORMALISERS.get(k)
        if fn is None:
            continue
        v = _blank(v)
        if v is None or v == []:
            continue
        try:
            v = fn(v)
        except (ValueError, TypeError) as exc:
            errors.append((k, str(exc)))
            continue
        if v is not None and v != "":
            out[k] = v
    for need in ("id_number", "name"):
        if need not in out and not any(k == need for k, _ in errors):
            errors.append((need, "required"))
    if "status" not in out and out.get("death_date"):
        out["status"] = "deceased"
    return out, errors


class GoldenRecord(BaseModel):
    """One person as the office knows them. Values are stored in the contract's normal forms."""

    model_config = ConfigDict(extra="ignore")

    id_number: str
    name: str
    former_names: list[str] = []
    sex: Literal["男", "女"] | None = None
    ethnicity: str | None = None
    birth_date: date | None = None
    address: str | None = None
    status: Literal["alive", "deceased"] = "alive"
    death_date: date | None = None
    disability_certificate_number: str | None = None
    disability_category: str | None = None
    disability_level: str | None = None
    social_security_number: str | None = None
    bank_account: str | None = None
    pension_status: Literal["receiving", "suspended", "stopped", "none"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or (info.context or {}).get("prepared"):
            return data
        out, errors = prepare(data)
        if errors:  # "field: reason; field: reason" (the importer itemises them)
            raise ValueError("; ".join(f"{k}: {m}" for k, m in errors))
        return out

    @model_validator(mode="after")
    def _consistent(self) -> "GoldenRecord":
        bd = id_birth_date(self.id_number)
        if self.birth_date is not None and bd != self.birth_date.isoformat():
            raise ValueError("birth_date: does not match the birth date in id_number")
        sx = id_sex(self.id_number)
        if self.sex is not None and sx != self.sex:
            raise ValueError("sex: does not match the sequence digit of id_number")
        if self.status == "alive" and self.death_date is not None:
            raise ValueError("death_date: given for a person whose status is alive")
        if self.death_date and self.birth_date and self.death_date < self.birth_date:
            raise ValueError("death_date: before birth_date")
        n = self.disability_certificate_number
        if n is not None:
            if len(n) != 20 or n[:18] != self.id_number:
                raise ValueError("disability_certificate_number: must be the ID number + "
                                 "category digit + level digit")
            if self.disability_category and category_code(self.disability_category) != n[18]:
                raise ValueError("disability_category: differs from the certificate number")
            if self.disability_level and level_code(self.disability_level) != n[19]:
                raise ValueError("disability_level: differs from the certificate number")
        return self

    def to_row(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["former_names"] = list(self.former_names)
        d["name_key"] = self.name
        return d


# --------------------------------------------------------------------------- field map
@dataclass(frozen=True)
class DocSpec:
    type: str
    keys: dict[str, str]          # id_number/name/birth_date -> document field
    fields: dict[str, str]        # document field -> golden field
    golden: bool = True


@dataclass(frozen=True)
class FieldMap:
    compare: dict[str, str]
    golden_fallback: dict[str, str]
    documents: dict[str, DocSpec]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FieldMap":
        docs = {t: DocSpec(type=t, keys=dict(v.get("keys") or {}), fields=dict(v.get("fields") or {}),
                           golden=bool(v.get("golden", True)))
                for t, v in (data.get("documents") or {}).items()}
        return cls(compare=dict(data.get("compare") or {}),
                   golden_fallback=dict(data.get("golden_fallback") or {}), documents=docs)


@lru_cache(maxsize=1)
def default_fieldmap() -> FieldMap:
    text = resources.files("crosscheck").joinpath("fieldmap.yaml").read_text(encoding="utf-8")
    return FieldMap.from_dict(yaml.safe_load(text))
