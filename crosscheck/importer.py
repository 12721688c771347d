"""`matex golden import`: stream a CSV or JSONL file of golden records into a store.

Rows are validated one by one (`GoldenRecord`); rejected rows are itemised (line number, field,
reason — never the row's personal data, only a masked ID); valid rows are upserted in chunks
keyed by id_number, so importing the same file twice changes nothing the second time.
"""
from __future__ import annotations

import csv

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from matex.privacy import mask_id

from .models import GOLDEN_FIELDS, GoldenRecord, prepare

DEFAULT_CHUNK = 5000
MAX_ITEMISED = 10000  # rejected rows kept in the report; the rest are counted


@dataclass
class Rejection:
    line: int
    field: str
    reason: str
    id_number: str | None = None  # masked

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason,
                "id_number": self.id_number}


@dataclass
class ImportReport:
    source: str
    format: str
    rows: int = 0
    accepted: int = 0
    written: int = 0        # inserted or changed
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    rejections_truncated: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.format, "rows": self.rows,
                "accepted": self.accepted, "written": self.written, "unchanged": self.unchanged,
                "rejected": self.rejected, "rejections": [r.to_dict() for r in self.rejections],
                "rejections_truncated": self.rejections_truncated,
                "ignored_columns": self.ignored_columns, "seconds": round(self.seconds, 3),
                "rows_per_second": round(self.rows_per_second, 1)}


class ImportError_(Exception):
    """The file as a whole cannot be imported (no id_number column, unknown format)."""


def _detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt.lower()
    suf = path.suffix.lower()
    if suf in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suf in (".csv", ".tsv", ".txt"):
        return "csv"
    raise ImportError_(f"cannot tell the format of {path.name}: use --format csv|jsonl")


def iter_rows(path: str | Path, fmt: str | None = None, *, report: ImportReport | None = None
              ) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, row, parse error) for each record of the file, streamed."""
    path = Path(path)
    fmt = _detect_format(path, fmt)
    known = set(GOLDEN_FIELDS)
    if fmt == "csv":
        fh = open(path, encoding="utf-8-sig", newline="")
        try:
            sample = fh.read(4096)
            fh.seek(0)
            delim = "\t" if sample.count("\t") > sample.count(",") else ","
            reader = csv.DictReader(fh, delimiter=delim)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            if "id_number" not in header:
                raise ImportError_("the file has no id_number column")
            unknown = [h for h in header if h not in known]
            if report is not None:
                report.ignored_columns = unknown
            line = 1
            for row in reader:
                start = line + 1
                line = reader.line_num
                if None in row:
                    yield start, None, f"{len(row[None])} more values than columns"
                    continue
                yield start, {k: v for k, v in row.items() if k in known}, None
        finally:
            fh.close()
    elif fmt == "jsonl":
        ignored: set[str] = set()
        with open(path, encoding="utf-8-sig") as fh:
            for n, text in enumerate(fh, start=1):
                text = text.strip()
                if not text:
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield n, None, f"not JSON ({exc.msg})"
                    continue
                if not isinstance(obj, dict):
                    yield n, None, "not a JSON object"
                    continue
                ignored.update(k for k in obj if k not in known)
                if report is not None:
                    report.ignored_columns = sorted(ignored)
                yield n, {k: v for k, v in obj.items() if k in known}, None
    else:
        raise ImportError_(f"unknown format {fmt!r}: csv or jsonl")


def _rejections(line: int, row: dict[str, Any], exc: ValidationError) -> list[Rejection]:
    idn = row.get("id_number")
    masked = mask_id(idn) if idn else None
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(x) for x in err.get("loc", ()))
        msg = err.get("msg", "invalid")
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if not loc and ": " in msg:  # whole-record checks name their field first
            for part in msg.split("; "):
                f, _, m = part.partition(": ")
                out.append(Rejection(line=line, field=f, reason=m or f, id_number=masked))
            continue
        out.append(Rejection(line=line, field=loc or "-", reason=msg, id_number=masked))
    return out


def import_file(path: str | Path, store: Any, *, fmt: str | None = None,
                chunk_size: int = DEFAULT_CHUNK, progress=None) -> ImportReport:
    """Validate and upsert every row of `path` into `store` (a `SqlGoldenStore`)."""
    path = Path(path)
    report = ImportReport(source=str(path), format=_detect_format(path, fmt))
    t0 = time.perf_counter()
    batch: list[dict[str, Any]] = []

    def reject(items: list[Rejection]) -> None:
        report.rejected += 1
        for it in items:
            if len(report.rejections) < MAX_ITEMISED:
                report.rejections.append(it)
            else:
                report.rejections_truncated += 1

    def flush() -> None:
        if batch:
            n = store.upsert_many(batch)
            report.written += n
            batch.clear()
            if progress:
                progress(report)

    validate = GoldenRecord.model_validate
    ctx = {"prepared": True}
    for line, row, err in iter_rows(path, report.format, report=report):
        report.rows += 1
        if row is None:
            reject([Rejection(line=line, field="-", reason=err or "unreadable")])
            continue
        data, errors = prepare(row)
        if errors:
            idn = row.get("id_number")
            masked = mask_id(str(idn).strip()) if idn else None
            reject([Rejection(line=line, field=f, reason=m, id_number=masked) for f, m in errors])
            continue
        try:
            rec = validate(data, context=ctx)
        except ValidationError as exc:
            reject(_rejections(line, row, exc))
            continue
        report.accepted += 1
        batch.append(rec.to_row())
        if len(batch) >= chunk_size:
            flush()
    flush()
    report.unchanged = report.accepted - report.written
    report.seconds = time.perf_counter() - t0
    return report


def import_rows(rows: list[dict[str, Any]], store: Any) -> int:
    """Validate and upsert in-memory rows (raises on the first invalid one)."""
    return store.upsert_many([GoldenRecord.model_validate(r).to_row() for r in rows])


__all__ = ["import_file", "import_rows", "iter_rows", "ImportReport", "Rejection", "ImportError_"]

