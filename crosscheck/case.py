"""Case-level consistency: the documents of one claim must name the same person consistently,
and that person's golden record must not contradict the claim.

`check_case(results, store) -> CaseReport`. Every document is first cross-checked on its own
(`check_document`); then

1. Documents are grouped into persons: two documents belong together when they carry the same
   ID number, or the same name (and no conflicting birth date). A claim may name several
   people (the deceased and the applicant); the *subject* is the person on the death
   certificate, else the one with most documents.
2. Within a person: a different ID number, name, birth date or sex → `*_inconsistent` (error).
   ID number vs printed birth date / sex, the disability certificate number vs the ID number
   and the printed category/level, and check characters → errors as well.
3. Against the golden record: any document field that mismatches (`golden_mismatch`, error); a
   death certificate for someone the golden record shows alive and receiving a pension
   (`deceased_but_pension_active`, error); a golden record that shows the person deceased
   while the claim has no death certificate (`golden_deceased`, error); a disability level or
   category other than the golden one (`disability_level_differs`, error); no golden record
   (`golden_not_found`, warning); a bank card that is no case person's account
   (`bank_account_differs`, warning).

`status` is `flagged` when any error or warning is raised, `ok` otherwise. Messages carry masked
ID numbers and names only.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matex.privacy import mask_id, mask_name
from schemas.result import DocumentResult, ExtractionResult

from .check import check_document
from .models import FieldMap, default_fieldmap
from .normalize import (
    category_code, id_birth_date, id_checksum_ok, id_sex, level_code, norm_date,
    norm_disability_category, norm_disability_level, norm_id, norm_name, norm_sex,
)

Severity = Literal["error", "warning", "info"]
CASE_GOLDEN_FIELDS = ("id_number", "name", "former_names", "birth_date", "status", "death_date",
                      "pension_status", "disability_category", "disability_level",
                      "disability_certificate_number", "bank_account")


class CaseFlag(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str
    severity: Severity
    message: str
    documents: list[str] = Field(default_factory=list)
    field: str | None = None


class CaseDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    ref: str
    type: str
    person: int | None = None
    crosscheck: str = "skipped"


class CasePerson(BaseModel):
    model_config = ConfigDict(extra="allow")
    index: int
    id_number: str | None = None  # masked
    name: str | None = None       # masked
    documents: list[str] = Field(default_factory=list)
    golden: Literal["found", "not_found", "not_checked"] = "not_checked"
    matched_by: str | None = None


class CaseReport(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: Literal["ok", "flagged"] = "ok"
    subject: int | None = None
    persons: list[CasePerson] = Field(default_factory=list)
    documents: list[CaseDocument] = Field(default_factory=list)
    flags: list[CaseFlag] = Field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.status == "flagged"

    def codes(self) -> set[str]:
        return {f.code for f in self.flags if f.severity != "info"}


class _Doc:
    def __init__(self, ref: str, doc: DocumentResult, spec, fmap: FieldMap):
        self.ref, self.doc, self.spec = ref, doc, spec
        self.ident: dict[str, str] = {}
        if spec is None:
            return
        canon: dict[str, Any] = {}
        for df, gf in spec.fields.items():
            f = doc.fields.get(df)
            if f is not None and not isinstance(f.value, (list, dict)) and f.value not in (None, ""):
                canon[gf] = f.value
        for k, df in spec.keys.items():
            f = doc.fields.get(df)
            if f is not None and f.value not in (None, "") and k not in canon:
                canon[k] = f.value
        if "social_security_number" in canon and "id_number" not in canon:
            canon["id_number"] = canon["social_security_number"]
        if canon.get("id_number"):
            self.ident["id_number"] = norm_id(canon["id_number"])
        if canon.get("name"):
            self.ident["name"] = norm_name(canon["name"])
        if canon.get("birth_date"):
            self.ident["birth_date"] = norm_date(canon["birth_date"])
        if canon.get("sex"):
            self.ident["sex"] = norm_sex(canon["sex"])
        self.canon = canon


def _ref(result: ExtractionResult, i: int, doc: DocumentResult) -> str:
    return f"{result.source}#{i}:{doc.type}"


def _cluster(docs: list[_Doc]) -> list[list[_Doc]]:
    parent = list(range(len(docs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    for i, a in enumerate(docs):
        for j in range(i + 1, len(docs)):
            b = docs[j]
            ia, ib = a.ident, b.ident
            if ia.get("id_number") and ia.get("id_number") == ib.get("id_number"):
                union(i, j)
            elif ia.get("name") and ia.get("name") == ib.get("name"):
                ba, bb = ia.get("birth_date"), ib.get("birth_date")
                ida, idb = ia.get("id_number"), ib.get("id_number")
                # same name: the same person unless both birth date and ID number disagree
                if not (ba and bb and ba != bb and ida and idb and ida != idb):
                    union(i, j)
    groups: dict[int, list[_Doc]] = {}
    for i, d in enumerate(docs):
        if d.ident:
            groups.setdefault(find(i), []).append(d)
    return list(groups.values())


def _consensus(values: list[str]) -> str | None:
    if not values:
        return None
    return Counter(values).most_common(1)[0][0]


def check_case(results: Sequence[ExtractionResult], store: Any, *,
               fieldmap: FieldMap | None = None) -> CaseReport:
    fmap = fieldmap or default_fieldmap()
    report = CaseReport()
    flags = report.flags

    def flag(code: str, severity: Severity, message: str, docs: Sequence[_Doc] = (),
             field: str | None = None) -> None:
        flags.append(CaseFlag(code=code, severity=severity, message=message,
                              documents=[d.ref for d in docs], field=field))

    all_docs: list[_Doc] = []
    for res in results:
        for i, doc in enumerate(res.documents):
            all_docs.append(_Doc(_ref(res, i, doc), doc, fmap.documents.get(doc.type), fmap))

    # 1. each document against the golden record, on its own
    for d in all_docs:
        if d.spec is None or d.spec.keys or not d.spec.golden:
            check_document(d.doc, store, fieldmap=fmap)  # unknown types come back `skipped`

    # 2. persons
    groups = _cluster([d for d in all_docs if d.ident])

    def weight(g: list[_Doc]) -> tuple[int, int]:
        return (any(d.doc.type == "death_certificate" for d in g), len(g))
    groups.sort(key=weight, reverse=True)
    persons: list[dict[str, Any]] = []
    for pi, g in enumerate(groups):
        ids = [d.ident["id_number"] for d in g if d.ident.get("id_number")]
        valid_ids = [x for x in ids if len(x) == 18 and id_checksum_ok(x)]
        names = [d.ident["name"] for d in g if d.ident.get("name")]
        births = [d.ident["birth_date"] for d in g if d.ident.get("birth_date")]
        pid = _consensus(valid_ids) or _consensus(ids)
        pname = _consensus(names)
        pbirth = _consensus(births) or (id_birth_date(pid) if pid else None)
        golden = None
        matched_by = None
        try:
            # the most frequent readable ID number first; another one when it has no record
            for cand in [x for x, _ in Counter(valid_ids).most_common()]:
                golden = store.get(cand, CASE_GOLDEN_FIELDS)
                if golden is not None:
                    pid, matched_by = cand, "id_number"
                    break
            if golden is None and pname and pbirth:
                cands = store.find(pname, pbirth, CASE_GOLDEN_FIELDS)
                if len(cands) == 1:
                    golden, matched_by = cands[0], "name_birth_date"
        except Exception as exc:
            flag("golden_unavailable", "warning", f"golden store unavailable ({type(exc).__name__})", g)
        persons.append({"docs": g, "id": pid, "name": pname, "birth": pbirth, "golden": golden})
        report.persons.append(CasePerson(
            index=pi, id_number=mask_id(pid) if pid else None, name=mask_name(pname) if pname else None,
            documents=[d.ref for d in g], golden="found" if golden else "not_found",
            matched_by=matched_by))
        for d in g:
            d.person = pi
    report.subject = 0 if persons else None

    # 3. consistency within each person
    for pi, p in enumerate(persons):
        g: list[_Doc] = p["docs"]
        who = "the subject" if pi == 0 else f"person {pi}"
        golden = p["golden"]
        former = {norm_name(x) for x in (golden or {}).get("former_names") or ()}
        for key, code, label in (("id_number", "id_number_inconsistent", "ID numbers"),
                                 ("name", "name_inconsistent", "names"),
                                 ("birth_date", "birth_date_inconsistent", "birth dates"),
                                 ("sex", "sex_inconsistent", "sexes")):
            def canon(v: str, key: str = key) -> str:
                if key == "name" and golden is not None and v in former:
                    return norm_name(golden.get("name"))
                return v
            vals = [canon(d.ident[key]) for d in g if d.ident.get(key)]
            if len(set(vals)) > 1:
                pool = [v for v in vals if key != "id_number" or id_checksum_ok(v)] or vals
                cons = _consensus(pool)
                odd = [d for d in g if d.ident.get(key) and canon(d.ident[key]) != cons]
                shown = sorted(mask_id(v) if key == "id_number" else mask_name(v) if key == "name"
                               else v for v in set(vals))
                flag(code, "error", f"{len(set(vals))} different {label} for {who}: "
                     f"{', '.join(shown)}", odd or g, key)
        for d in g:
            idn = d.ident.get("id_number")
            if idn and len(idn) == 18:
                if not id_checksum_ok(idn):
                    flag("id_checksum_invalid", "error",
                         f"ID number {mask_id(idn)} fails its check character", [d], "id_number")
                bd, sx = d.ident.get("birth_date"), d.ident.get("sex")
                if bd and id_birth_date(idn) and bd != id_birth_date(idn):
                    flag("id_birth_date_inconsistent", "error",
                         "the printed birth date differs from the one in the ID number", [d], "birth_date")
                if sx and id_sex(idn) and sx != id_sex(idn):
                    flag("id_sex_inconsistent", "error",
                         "the printed sex differs from the ID number's sequence digit", [d], "sex")
            elif idn and len(idn) != 18:
                flag("id_number_malformed", "error", "an ID number that is not 18 characters", [d],
                     "id_number")
            if d.doc.type == "disability_certificate":
                num = norm_id(d.canon.get("disability_certificate_number") or "")
                if num:
                    cat = norm_disability_category(d.canon.get("disability_category") or "")
                    lvl = norm_disability_level(d.canon.get("disability_level") or "")
                    if len(num) != 20 or (idn and num[:18] != idn):
                        flag("disability_number_inconsistent", "error",
                             "the certificate number is not the ID number + category + level", [d],
                             "certificate_number")
                    elif (cat and category_code(cat) and category_code(cat) != num[18]) or \
                            (lvl and level_code(lvl) and level_code(lvl) != num[19]):
                        flag("disability_number_inconsistent", "error",
                             "the certificate number's category/level digits differ from the printed "
                             "category/level", [d], "certificate_number")

    # 4. against the golden records
    for pi, p in enumerate(persons):
        g, golden = p["docs"], p["golden"]
        who = "the subject" if pi == 0 else f"person {pi}"
        checked = [d for d in g if d.spec is not None and d.spec.golden]
        if golden is None:
            if checked:
                flag("golden_not_found", "warning", f"no golden record for {who}", checked)
            continue
        for d in checked:
            cc = d.doc.crosscheck
            if cc.status == "mismatch":
                bad = [k for k, v in cc.fields.items() if v == "mismatch"]
                flag("golden_mismatch", "error",
                     f"{d.doc.type}: {', '.join(bad)} differ{'s' if len(bad) == 1 else ''} from the "
                     f"golden record", [d], ",".join(bad))
        has_death = [d for d in g if d.doc.type == "death_certificate"]
        if has_death and golden.get("status") == "alive":
            if golden.get("pension_status") == "receiving":
                flag("deceased_but_pension_active", "error",
                     f"death certificate for {who}, whom the golden record shows alive and receiving "
                     "a pension", has_death, "status")
            else:
                flag("golden_not_yet_deceased", "info",
                     f"the golden record still shows {who} alive", has_death, "status")
        if not has_death and pi == 0 and golden.get("status") == "deceased":
            flag("golden_deceased", "error",
                 f"the golden record shows {who} deceased ({golden.get('death_date') or 'date unknown'})"
                 " but the claim has no death certificate", g, "status")
        for d in g:
            if d.doc.type != "disability_certificate":
                continue
            lvl = norm_disability_level(d.canon.get("disability_level") or "")
            cat = norm_disability_category(d.canon.get("disability_category") or "")
            glvl, gcat = golden.get("disability_level"), golden.get("disability_category")
            if not glvl and not gcat:
                flag("no_disability_in_golden", "warning",
                     f"a disability certificate for {who}, who has no disability in the golden record",
                     [d], "disability_level")
                continue
            if lvl and glvl and lvl != glvl:
                flag("disability_level_differs", "error",
                     f"disability level {lvl} on the certificate, {glvl} in the golden record", [d],
                     "disability_level")
            if cat and gcat and cat != gcat:
                flag("disability_category_differs", "error",
                     f"disability category {cat} on the certificate, {gcat} in the golden record", [d],
                     "disability_category")

    # 5. documents that name no one (bank cards): against the case's people
    subject_id = persons[0]["id"] if persons else None
    for d in all_docs:
        if d.spec is None or d.spec.keys or not d.spec.golden:
            continue
        if subject_id is None:
            check_document(d.doc, store, fieldmap=fmap)
            continue
        check_document(d.doc, store, fieldmap=fmap, person_id=subject_id)
        if d.doc.crosscheck.status == "mismatch":
            for p in persons[1:]:
                if p["golden"] and p["id"]:
                    check_document(d.doc, store, fieldmap=fmap, person_id=p["id"])
                    if d.doc.crosscheck.status == "match":
                        break
        owner = (d.doc.crosscheck.model_extra or {}).get("person")
        d.person = next((i for i, p in enumerate(persons) if p["id"] and mask_id(p["id"]) == owner), None)
        if d.doc.crosscheck.status == "mismatch":
            flag("bank_account_differs", "warning",
                 f"{d.doc.type}: the number is no account of the case's people in the golden records",
                 [d], ",".join(k for k, v in d.doc.crosscheck.fields.items() if v == "mismatch"))

    for d in all_docs:
        report.documents.append(CaseDocument(ref=d.ref, type=d.doc.type, person=getattr(d, "person", None),
                                             crosscheck=d.doc.crosscheck.status))
    report.status = "flagged" if any(f.severity in ("error", "warning") for f in flags) else "ok"
    return report


__all__ = ["check_case", "CaseReport", "CaseFlag", "CasePerson", "CaseDocument"]
