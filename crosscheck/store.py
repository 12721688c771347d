"""Golden-record stores behind SQLAlchemy 2.

- `SqlGoldenStore`: matex's own table (`golden_person`), SQLite file by default, PostgreSQL by
  URL; bulk upserts keyed by id_number (`INSERT … ON CONFLICT DO UPDATE … WHERE changed`).
- `MappedGoldenStore`: read-only, an office's existing table or view through a YAML
  column-mapping file (canonical field → column, with optional value maps and date formats).
- `MemoryGoldenStore`: a dict, for tests and small tools.

Every store answers two look-ups and nothing else: `get(id_number, fields)` and
`find(name, birth_date, fields)`, returning dicts of only the requested canonical fields
(dates as `YYYY-MM-DD` strings, former_names as a list). Nothing scans or lists people.
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import (
    Column, Date, Index, MetaData, String, Table, Text, TypeDecorator, bindparam, create_engine,
    event, or_, select, text,
)
from sqlalchemy.engine import Engine

from .models import GOLDEN_FIELDS
from .normalize import norm_date, norm_id, norm_name

log = logging.getLogger(__name__)

DEFAULT_TABLE = "golden_person"
DEFAULT_DB_ENV = "MATEX_GOLDEN_DB"
DEFAULT_SQLITE = "golden.sqlite3"


class JSONList(TypeDecorator):
    """A list of strings stored as JSON text: portable and comparable (IS DISTINCT FROM)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == []:
            return None
        return json.dumps(list(value), ensure_ascii=False)

    def process_result_value(self, value, dialect):
        return json.loads(value) if value else []


def golden_table(metadata: MetaData, name: str = DEFAULT_TABLE, schema: str | None = None) -> Table:
    t = Table(
        name, metadata,
        Column("id_number", String(18), primary_key=True),
        Column("name", Text, nullable=False),
        Column("name_key", Text, nullable=False),  # normalised (simplified, no spaces) for look-up
        Column("former_names", JSONList),
        Column("sex", String(2)),
        Column("ethnicity", Text),
        Column("birth_date", Date),
        Column("address", Text),
        Column("status", String(10), nullable=False, server_default="alive"),
        Column("death_date", Date),
        Column("disability_certificate_number", String(20)),
        Column("disability_category", Text),
        Column("disability_level", String(4)),
        Column("social_security_number", String(32)),
        Column("bank_account", String(32)),
        Column("pension_status", String(10)),
        schema=schema,
    )
    Index(f"ix_{name}_name_birth", t.c.name_key, t.c.birth_date)
    return t


DATA_COLUMNS = ("name", "name_key") + tuple(f for f in GOLDEN_FIELDS if f not in ("id_number", "name"))
ALL_COLUMNS = ("id_number",) + DATA_COLUMNS


def resolve_url(url: str | None) -> str:
    """`None` → $MATEX_GOLDEN_DB or ./golden.sqlite3; a bare path → a SQLite file;
    `postgresql://` → the psycopg 3 driver."""
    url = url or os.environ.get(DEFAULT_DB_ENV) or DEFAULT_SQLITE
    if "://" not in url:
        return "sqlite:///" + str(Path(url).expanduser())
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None) -> Engine:
    engine = create_engine(resolve_url(url))
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
    return engine


def _out(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return value


class GoldenStore(Protocol):
    def get(self, id_number: str, fields: Sequence[str] | None = None) -> dict[str, Any] | None: ...

    def find(self, name: str, birth_date: str,
             fields: Sequence[str] | None = None) -> list[dict[str, Any]]: ...


# --------------------------------------------------------------------------- SQL store
class SqlGoldenStore:
    """matex's own golden table. `SqlGoldenStore("sqlite:///golden.sqlite3")`,
    `SqlGoldenStore("postgresql://user@host/db", schema="office")`."""

    def __init__(self, url: str | Engine | None = None, *, table: str = DEFAULT_TABLE,
                 schema: str | None = None, create: bool = True):
        self.engine = url if isinstance(url, Engine) else make_engine(url)
        self.metadata = MetaData()
        self.table = golden_table(self.metadata, table, schema)
        self._stmt_cache: dict[tuple, Any] = {}
        if create:
            self.create()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create(self) -> None:
        self.metadata.create_all(self.engine, checkfirst=True)

    def drop(self) -> None:
        self.metadata.drop_all(self.engine, checkfirst=True)

    def close(self) -> None:
        self.engine.dispose()

    # ---- reading: only the fields asked for
    def _cols(self, fields: Sequence[str] | None) -> tuple[str, ...]:
        wanted = tuple(fields) if fields else GOLDEN_FIELDS
        cols = tuple(dict.fromkeys(("id_number",) + tuple(f for f in wanted if f in ALL_COLUMNS)))
        return cols

    def _row(self, row, cols: tuple[str, ...]) -> dict[str, Any]:
        return {c: _out(v) for c, v in zip(cols, row)}

    def get(self, id_number: str, fields: Sequence[str] | None = None) -> dict[str, Any] | None:
        cols = self._cols(fields)
        key = ("get", cols)
        stmt = self._stmt_cache.get(key)
        if stmt is None:
            stmt = select(*(self.table.c[c] for c in cols)).where(
                self.table.c.id_number == bindparam("id"))
            self._stmt_cache[key] = stmt
        with self.engine.connect() as conn:
            row = conn.execute(stmt, {"id": norm_id(id_number)}).first()
        return self._row(row, cols) if row is not None else None

    def find(self, name: str, birth_date: str,
             fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
        bd = norm_date(birth_date)
        try:
            bd_value = date.fromisoformat(bd)
        except ValueError:
            return []
        cols = self._cols(fields)
        key = ("find", cols)
        stmt = self._stmt_cache.get(key)
        if stmt is None:
            stmt = select(*(self.table.c[c] for c in cols)).where(
                self.table.c.name_key == bindparam("name"),
                self.table.c.birth_date == bindparam("bd")).limit(50)
            self._stmt_cache[key] = stmt
        with self.engine.connect() as conn:
            rows = conn.execute(stmt, {"name": norm_name(name), "bd": bd_value}).all()
        return [self._row(r, cols) for r in rows]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(text("count(*)")).select_from(self.table)).scalar_one()

    # ---- writing
    def upsert_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert or update `rows` (dicts of ALL_COLUMNS, as `GoldenRecord.to_row()` gives) keyed
        by id_number; a row identical to the stored one is left alone. Returns the number of rows
        inserted or changed. Later duplicates of an id_number in `rows` win."""
        if not rows:
            return 0
        dedup: dict[str, dict[str, Any]] = {}
        for r in rows:
            dedup[r["id_number"]] = r
        rows = list(dedup.values())
        if self.dialect == "postgresql":
            return self._upsert_pg_copy(rows)
        return self._upsert_executemany(rows)

    def _upsert_stmt(self):
        if "upsert" in self._stmt_cache:
            return self._stmt_cache["upsert"]
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:  # pragma: no cover
            raise NotImplementedError(f"upsert on {self.dialect}")
        t = self.table
        stmt = insert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.id_number],
            set_={c: stmt.excluded[c] for c in DATA_COLUMNS},
            where=or_(*(t.c[c].is_distinct_from(stmt.excluded[c]) for c in DATA_COLUMNS)),
        )
        self._stmt_cache["upsert"] = stmt
        return stmt

    def _upsert_executemany(self, rows: list[dict[str, Any]]) -> int:
        stmt = self._upsert_stmt()
        with self.engine.begin() as conn:
            res = conn.execute(stmt, rows)
            return max(res.rowcount, 0)

    def _upsert_pg_copy(self, rows: list[dict[str, Any]]) -> int:
        """PostgreSQL: COPY the chunk into a temporary table, then one
        `INSERT … SELECT … ON CONFLICT (id_number) DO UPDATE … WHERE changed`."""
        t = self.table
        target = f'"{t.schema}"."{t.name}"' if t.schema else f'"{t.name}"'
        cols = ALL_COLUMNS
        collist = ", ".join(f'"{c}"' for c in cols)
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in DATA_COLUMNS)
        changed = " OR ".join(f't."{c}" IS DISTINCT FROM EXCLUDED."{c}"' for c in DATA_COLUMNS)
        with self.engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS _golden_stage "
                            f"(LIKE {target} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
                with cur.copy(f"COPY _golden_stage ({collist}) FROM STDIN") as cp:
                    for r in rows:
                        fn = r.get("former_names")
                        cp.write_row(tuple(
                            (json.dumps(fn, ensure_ascii=False) if fn else None) if c == "former_names"
                            else r.get(c) for c in cols))
                cur.execute(f"INSERT INTO {target} AS t ({collist}) SELECT {collist} FROM _golden_stage "
                            f"ON CONFLICT (id_number) DO UPDATE SET {sets} WHERE {changed}")
                n = cur.rowcount
                cur.execute("TRUNCATE _golden_stage")  # the connection goes back to the pool
        return max(n, 0)


# --------------------------------------------------------------------------- mapped, read-only
class MappedGoldenStore:
    """Read-only golden records from an office's own table or view.

    The mapping file (YAML)::

        table: rk_person_v          # a table or a view
        schema: office              # optional
        fields:                     # canonical field -> column, or {column, values, format}
          id_number: sfzh
          name: xm
          sex: {column: xb, values: {"1": 男, "2": 女}}
          birth_date: {column: csrq, format: "%Y%m%d"}     # text column in that format
          status: {column: swbz, values: {"0": alive, "1": deceased}}
          former_names: {column: cym, split: "、"}

    Canonical fields without a column are simply absent from the answers.
    """

    def __init__(self, url: str | Engine | None, mapping: str | Path | dict[str, Any]):
        self.engine = url if isinstance(url, Engine) else make_engine(url)
        if not isinstance(mapping, dict):
            mapping = __import__("yaml").safe_load(Path(mapping).read_text(encoding="utf-8"))
        self.mapping = mapping
        self.fields: dict[str, dict[str, Any]] = {}
        for canon, spec in (mapping.get("fields") or {}).items():
            if canon not in GOLDEN_FIELDS:
                raise ValueError(f"mapping: unknown canonical field {canon!r}")
            self.fields[canon] = {"column": spec} if isinstance(spec, str) else dict(spec)
        for need in ("id_number", "name"):
            if need not in self.fields:
                raise ValueError(f"mapping: {need} must be mapped")
        self.table = Table(mapping["table"], MetaData(), schema=mapping.get("schema"),
                           autoload_with=self.engine)
        for canon, spec in self.fields.items():
            if spec["column"] not in self.table.c:
                raise ValueError(f"mapping: {canon} -> column {spec['column']!r} is not in "
                                 f"{mapping['table']}")

    def close(self) -> None:
        self.engine.dispose()

    def _col(self, canon: str):
        return self.table.c[self.fields[canon]["column"]]

    def _to_db(self, canon: str, value: str) -> Any:
        spec = self.fields[canon]
        if "format" in spec:
            return datetime.strptime(value, "%Y-%m-%d").strftime(spec["format"])
        if _pytype(self._col(canon)) in (date, datetime):
            return date.fromisoformat(value)
        return value

    def _from_db(self, canon: str, value: Any) -> Any:
        spec = self.fields[canon]
        if value is None:
            return [] if canon == "former_names" else None
        if "values" in spec:
            value = spec["values"].get(str(value), spec["values"].get(value, value))
        if "format" in spec and isinstance(value, str):
            try:
                value = datetime.strptime(value.strip(), spec["format"]).date()
            except ValueError:
                value = norm_date(value)
        if canon == "former_names" and isinstance(value, str):
            value = [v for v in value.split(spec.get("split", "、")) if v]
        if isinstance(value, str):
            value = norm_id(value) if canon in ("id_number", "social_security_number") else value.strip()
        return _out(value)

    def _select(self, fields: Sequence[str] | None):
        wanted = tuple(fields) if fields else GOLDEN_FIELDS
        cols = tuple(dict.fromkeys(("id_number",) + tuple(f for f in wanted if f in self.fields)))
        return cols, select(*(self._col(c) for c in cols))

    def get(self, id_number: str, fields: Sequence[str] | None = None) -> dict[str, Any] | None:
        cols, stmt = self._select(fields)
        idn = norm_id(id_number)
        variants = list(dict.fromkeys([idn, idn.lower()]))
        stmt = stmt.where(self._col("id_number").in_(variants))
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        return {c: self._from_db(c, v) for c, v in zip(cols, row)}

    def find(self, name: str, birth_date: str,
             fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
        if "birth_date" not in self.fields:
            return []
        bd = norm_date(birth_date)
        try:
            date.fromisoformat(bd)
        except ValueError:
            return []
        n = norm_name(name)
        names = list(dict.fromkeys([name.strip(), n]))
        cols, stmt = self._select(fields)
        stmt = stmt.where(self._col("name").in_(names),
                          self._col("birth_date") == self._to_db("birth_date", bd)).limit(50)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        out = [{c: self._from_db(c, v) for c, v in zip(cols, r)} for r in rows]
        return [r for r in out if norm_name(r.get("name")) == n]


def _pytype(col) -> type | None:
    try:
        return col.type.python_type
    except NotImplementedError:
        return None


# --------------------------------------------------------------------------- memory
class MemoryGoldenStore:
    def __init__(self, records: Iterable[Any] = ()):
        self._by_id: dict[str, dict[str, Any]] = {}
        for r in records:
            self.add(r)

    def add(self, record: Any) -> None:
        from .models import GoldenRecord

        rec = record if isinstance(record, GoldenRecord) else GoldenRecord.model_validate(record)
        row = {k: _out(v) for k, v in rec.model_dump().items()}
        self._by_id[rec.id_number] = row

    def get(self, id_number: str, fields: Sequence[str] | None = None) -> dict[str, Any] | None:
        row = self._by_id.get(norm_id(id_number))
        if row is None:
            return None
        keep = ("id_number",) + tuple(fields or GOLDEN_FIELDS)
        return {k: v for k, v in row.items() if k in keep}

    def find(self, name: str, birth_date: str,
             fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
        n, bd = norm_name(name), norm_date(birth_date)
        keep = ("id_number",) + tuple(fields or GOLDEN_FIELDS)
        return [{k: v for k, v in r.items() if k in keep} for r in self._by_id.values()
                if r["name"] == n and r.get("birth_date") == bd]


def open_store(url: str | None = None, *, mapping: str | Path | None = None,
               table: str = DEFAULT_TABLE, schema: str | None = None):
    """The store for a URL (`None`: $MATEX_GOLDEN_DB or ./golden.sqlite3): matex's own table, or
    an office table/view read through `mapping`."""
    if mapping is not None:
        return MappedGoldenStore(url, mapping)
    return SqlGoldenStore(url, table=table, schema=schema)


def describe(store: Any) -> str:
    eng = getattr(store, "engine", None)
    if eng is None:
        return type(store).__name__
    return f"{type(store).__name__}({eng.url.render_as_string(hide_password=True)})"


__all__ = ["GoldenStore", "SqlGoldenStore", "MappedGoldenStore", "MemoryGoldenStore", "open_store",
           "resolve_url", "golden_table", "ALL_COLUMNS", "describe"]
