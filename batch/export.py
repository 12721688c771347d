"""CSV per document type, for loading into other systems, rebuilt from results.jsonl.

    csv/<type>.csv            one row per document of that type (the contract's field names as
                              columns, then <field>_confidence; fields the contract does not
                              name go to `extra_fields` as JSON)
    csv/lab_report_items.csv  one row per lab item (name, result, unit, reference_range, flag, code)
    csv/errors.csv            one row per itemised error (bad inputs and unreadable pages)

Columns are fixed per type (from the contract), so files from several batches line up. Files
are UTF-8 with a BOM (Excel opens Chinese text correctly) and written to a temporary name, then
renamed: a reader never sees half a file. Duplicates keep their row, with `duplicate_of` set:
filter on it to load each scanned document once.

Redaction: `write_csvs(out, redact=True)` masks each result first (`matex.privacy.redact_result`:
ID, card/account numbers and names, in the fields, their raw readings, text lines and messages);
`export_redacted(out, dest)` writes a redacted copy of results.jsonl and its CSVs into `dest`
(`matex batch --export-redacted DEST --out DIR`), leaving DIR as it is.
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any, Callable

from batch.store import RESULTS, iter_lines

# The contract's canonical field names (shared/contract/extraction-result.md), in its order.
CONTRACT_FIELDS: dict[str, list[str]] = {
    "id_card_front": ["name", "sex", "ethnicity", "birth_date", "address", "id_number"],
    "id_card_back": ["issuing_authority", "valid_from", "valid_to"],
    "medical_certificate": ["hospital", "patient_name", "sex", "age", "department", "record_number", "diagnosis",
                            "advice", "doctor", "issue_date"],
    "discharge_summary": ["hospital", "patient_name", "sex", "age", "department", "record_number", "admission_date",
                          "discharge_date", "admission_diagnosis", "discharge_diagnosis", "doctor"],
    "lab_report": ["hospital", "patient_name", "sex", "age", "specimen", "report_date", "items"],
    "death_certificate": ["deceased_name", "sex", "ethnicity", "id_number", "birth_date", "death_date", "place_of_death",
                          "cause_of_death", "institution", "issue_date"],
    "disability_certificate": ["name", "sex", "ethnicity", "birth_date", "id_number", "certificate_number",
                               "disability_category", "disability_level", "address", "issue_date"],
    "household_register": ["name", "relationship", "sex", "ethnicity", "birth_date", "birthplace", "id_number", "address"],
    "social_security_card": ["name", "social_security_number", "card_number", "issue_date"],
    "bank_card": ["bank", "card_number"],
    "unknown": [],
}
LEAD = ["source", "sha256", "page", "document_index", "type_confidence", "needs_review", "warnings", "duplicate_of"]
ITEM_COLS = ["source", "page", "document_index", "item_index", "name", "result", "unit", "reference_range", "flag", "code"]
ERROR_COLS = ["source", "sha256", "code", "message", "page", "duplicate_of"]
SENSITIVE = {"id_number", "social_security_number", "card_number", "certificate_number"}


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        v = json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v[:1] in ("=", "+", "@", "\t", "\r"):
        return "'" + v  # a spreadsheet would run it as a formula
    return v


class _Files:
    def __init__(self, d: Path):
        self.d = d
        self.open: dict[str, tuple[Any, Any, Path]] = {}

    def writer(self, name: str, header: list[str]):
        if name not in self.open:
            tmp = self.d / f".{name}.csv.tmp"
            fh = open(tmp, "w", encoding="utf-8-sig", newline="")
            w = csv.writer(fh)
            w.writerow(header)
            self.open[name] = (fh, w, tmp)
        return self.open[name][1]

    def commit(self) -> list[str]:
        names = []
        for name, (fh, _w, tmp) in self.open.items():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(tmp, self.d / f"{name}.csv")
            names.append(name)
        return names


def write_csvs(out_dir: str | Path, mask_ids: bool = False, redact: bool = False,
               dest: str | Path | None = None) -> dict[str, int]:
    """Rebuild csv/ from results.jsonl (of `out_dir`, into `dest`/csv, default `out_dir`/csv);
    returns rows per file name. `mask_ids`: ID, card and certificate number columns masked;
    `redact`: every result redacted first (names, numbers, raw readings and text too)."""
    out = Path(out_dir)
    d = Path(dest if dest is not None else out) / "csv"
    d.mkdir(parents=True, exist_ok=True)
    mask: Callable[[Any], Any] = lambda v: v  # noqa: E731
    if mask_ids:
        from matex.privacy import mask_id

        mask = mask_id
    results = iter_lines(out)
    if redact:
        from matex.privacy import redact_result

        results = (redact_result(r, keep=("sha256",)) for r in results)  # file names too
    files = _Files(d)
    rows: dict[str, int] = {}
    for res in results:
        src, sha, dup = res.get("source", ""), res.get("sha256", ""), res.get("duplicate_of")
        for e in res.get("errors") or []:
            files.writer("errors", ERROR_COLS).writerow(
                [_cell(x) for x in (src, sha, e.get("code"), e.get("message"), e.get("page"), dup)]
            )
            rows["errors"] = rows.get("errors", 0) + 1
        for i, doc in enumerate(res.get("documents") or []):
            t = str(doc.get("type") or "unknown")
            names = CONTRACT_FIELDS.get(t, [])
            fields = doc.get("fields") or {}
            if t == "unknown":
                header = LEAD + ["text"]
            else:
                header = LEAD + names + [f"{n}_confidence" for n in names] + ["low_confidence_fields", "crosscheck", "extra_fields"]
            lead = [src, sha, doc.get("page"), i, doc.get("confidence"), doc.get("needs_review"),
                    ";".join(doc.get("warnings") or []), dup]
            if t == "unknown":
                text = "\n".join(str(ln.get("text", "")) for ln in doc.get("lines") or [])
                row = lead + [text]
            else:
                vals, confs = [], []
                for n in names:
                    f = fields.get(n)
                    v = None if f is None else f.get("value")
                    if n == "items" and isinstance(v, list):
                        v = len(v)  # the items themselves: lab_report_items.csv
                    vals.append(mask(v) if n in SENSITIVE and v else v)
                    confs.append(None if f is None else f.get("confidence"))
                low = [n for n, f in fields.items() if isinstance(f, dict) and f.get("confidence", 1.0) < 0.9]
                extra = {n: f.get("value") for n, f in fields.items() if n not in names and isinstance(f, dict)}
                xc = (doc.get("crosscheck") or {}).get("status")
                row = lead + vals + confs + [";".join(low), xc, extra or None]
            files.writer(t, header).writerow([_cell(x) for x in row])
            rows[t] = rows.get(t, 0) + 1
            items = (fields.get("items") or {}).get("value") if t == "lab_report" else None
            for j, it in enumerate(items or []):
                if not isinstance(it, dict):
                    continue
                files.writer("lab_report_items", ITEM_COLS).writerow([_cell(x) for x in (
                    src, doc.get("page"), i, j, it.get("name"), it.get("result"), it.get("unit"),
                    it.get("reference_range"), it.get("flag"), it.get("code"))])
                rows["lab_report_items"] = rows.get("lab_report_items", 0) + 1
    written = set(files.commit())
    for old in d.glob("*.csv"):  # a type that no longer occurs (results.jsonl replaced): drop its file
        if old.stem not in written:
            old.unlink()
    return rows


def export_redacted(out_dir: str | Path, dest: str | Path) -> dict[str, int]:
    """A redacted copy of a batch's results: `dest`/results.jsonl (each line through
    `matex.privacy.redact_result`, `source` and `duplicate_of` included) and `dest`/csv/ built from it. Returns {"results": lines,
    <csv name>: rows}. `out_dir` is only read (a running batch's torn last line is left out)."""
    import json as _json

    from matex.privacy import redact_result

    out, dst = Path(out_dir).resolve(), Path(dest).resolve()
    if dst == out:
        raise ValueError("the redacted export goes to another folder than the batch's own")
    if not (out / RESULTS).exists():
        raise FileNotFoundError(f"{out / RESULTS} does not exist")
    dst.mkdir(parents=True, exist_ok=True)
    tmp = dst / f".{RESULTS}.tmp"
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for res in iter_lines(out):
            red = redact_result(res, keep=("sha256",))  # file names too: this copy has no manifest to match
            fh.write(_json.dumps(red, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, dst / RESULTS)
    rows = write_csvs(dst, mask_ids=True)  # already redacted: the CSVs of the redacted lines
    return {"results": n, **rows}
