"""The service's tables (SQLAlchemy 2 Core) and transactions that work on SQLite and PostgreSQL.

Tables (names carry `Settings.table_prefix`, optionally in `Settings.db_schema`):

- `api_key`: hashed API keys with role, tenant and rate limit.
- `extraction`: one uploaded file of one tenant (unique per tenant + sha256), its current result
  and review state.
- `job`: the durable work item of an extraction: state, lease owner and expiry, attempts.
- `result_version`: every result of an extraction: version 1 is the machine's, each reviewer
  change adds one (who, when, what).
- `audit_log` + `audit_head`: the append-only, hash-chained audit trail (see api/audit.py).

Write transactions on SQLite are `BEGIN IMMEDIATE` (one writer at a time, no lost updates across
processes); WAL lets readers go on meanwhile. On PostgreSQL conditional UPDATEs and an advisory
lock (audit chain) do the same.
"""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine


def normalize_url(url: str) -> str:
    """A SQLAlchemy URL from a URL or a SQLite file path; `postgresql://` uses psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def now() -> float:
    return time.time()


@dataclass
class Tables:
    metadata: sa.MetaData
    api_key: sa.Table
    extraction: sa.Table
    job: sa.Table
    result_version: sa.Table
    audit_log: sa.Table
    audit_head: sa.Table


def make_tables(prefix: str = "matex_", schema: str | None = None) -> Tables:
    md = sa.MetaData(schema=schema)
    p = prefix
    api_key = sa.Table(
        f"{p}api_key", md,
        sa.Column("id", sa.String(32), primary_key=True),  # public part of the key
        sa.Column("key_hash", sa.String(64), nullable=False),  # sha256 of the secret part
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("rate_per_s", sa.Double, nullable=True),
        sa.Column("burst", sa.Double, nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("revoked_at", sa.Double, nullable=True),
    )
    extraction = sa.Table(
        f"{p}extraction", md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # sniffed format
        sa.Column("status", sa.String(16), nullable=False),  # queued running done failed
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, default=0),  # current result version
        sa.Column("result", sa.Text, nullable=True),  # current result JSON
        sa.Column("review_status", sa.String(16), nullable=False, default="none"),  # none pending approved rejected
        sa.Column("min_conf", sa.Double, nullable=True),
        sa.Column("failing_checks", sa.Integer, nullable=True),
        sa.Column("risk", sa.Double, nullable=True),
        sa.Column("doc_types", sa.String(300), nullable=True),
        sa.UniqueConstraint("tenant", "sha256", name=f"{p}extraction_tenant_sha"),
    )
    sa.Index(f"{p}extraction_review", extraction.c.review_status, extraction.c.risk)
    job = sa.Table(
        f"{p}job", md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("extraction_id", sa.String(32), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),  # queued running done failed
        sa.Column("priority", sa.Integer, nullable=False, default=0),  # higher first (sync waits)
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("max_attempts", sa.Integer, nullable=False, default=3),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_expires_at", sa.Double, nullable=True),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("started_at", sa.Double, nullable=True),
        sa.Column("finished_at", sa.Double, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    sa.Index(f"{p}job_state", job.c.state, job.c.priority, job.c.created_at)
    result_version = sa.Table(
        f"{p}result_version", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("extraction_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),  # machine correction approve reject
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("changes", sa.Text, nullable=True),  # JSON list of {document, field, old, new}
        sa.Column("note", sa.Text, nullable=True),
        sa.UniqueConstraint("extraction_id", "version", name=f"{p}result_version_uq"),
    )
    audit_log = sa.Table(
        f"{p}audit_log", md,
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=True),
        sa.Column("details", sa.Text, nullable=False),  # canonical JSON
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    audit_head = sa.Table(
        f"{p}audit_head", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    return Tables(md, api_key, extraction, job, result_version, audit_log, audit_head)


class Database:
    """An engine, the tables and two kinds of transaction: `read()` and `write()`."""

    def __init__(self, url: str, prefix: str = "matex_", schema: str | None = None, create: bool = True):
        self.url = normalize_url(url)
        self.prefix = prefix
        self.schema = schema
        self.is_sqlite = self.url.startswith("sqlite")
        self.is_postgres = self.url.startswith("postgresql")
        kw: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            db_path = sa.engine.make_url(self.url).database
            if db_path and db_path != ":memory:":
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            kw["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kw.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: Engine = sa.create_engine(self.url, **kw)
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self.t = make_tables(prefix, schema)
        if create:
            self.create_all()

    def create_all(self) -> None:
        if self.schema and self.is_postgres:
            with self.engine.begin() as c:
                c.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        for attempt in range(3):
            try:
                self.t.metadata.create_all(self.engine, checkfirst=True)
                self._audit_guards()
                return
            except sa.exc.DBAPIError:  # another process created them meanwhile: check again
                if attempt == 2:
                    raise
                time.sleep(0.2)

    def _audit_guards(self) -> None:
        """Triggers that refuse UPDATE and DELETE on the audit log (append-only in the database
        itself; someone who can drop them is still caught by the hash chain)."""
        name = self.t.audit_log.name
        if self.is_sqlite:
            with self.engine.begin() as c:
                for op in ("UPDATE", "DELETE"):
                    c.exec_driver_sql(
                        f'CREATE TRIGGER IF NOT EXISTS "{name}_no_{op.lower()}" BEFORE {op} ON "{name}" '
                        f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
        elif self.is_postgres:
            sch = f'"{self.schema}".' if self.schema else ""
            with self.engine.begin() as c:
                exists = c.execute(sa.text(
                    "SELECT 1 FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = r.relnamespace WHERE t.tgname = :tg AND r.relname = :rel "
                    "AND n.nspname = COALESCE(:sch, current_schema())"),
                    {"tg": f"{name}_append_only", "rel": name, "sch": self.schema}).first()
                if exists:
                    return
                c.exec_driver_sql(
                    f'CREATE OR REPLACE FUNCTION {sch}"{name}_append_only"() RETURNS trigger LANGUAGE plpgsql AS '
                    f"$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$")
                c.exec_driver_sql(
                    f'CREATE TRIGGER "{name}_append_only" BEFORE UPDATE OR DELETE ON {sch}"{name}" '
                    f'FOR EACH ROW EXECUTE FUNCTION {sch}"{name}_append_only"()')
                c.exec_driver_sql(
                    f'CREATE TRIGGER "{name}_no_truncate" BEFORE TRUNCATE ON {sch}"{name}" '
                    f'FOR EACH STATEMENT EXECUTE FUNCTION {sch}"{name}_append_only"()')

    def drop_audit_guards(self) -> None:
        """Remove the append-only triggers (tests of tamper detection, forensics)."""
        name = self.t.audit_log.name
        sch = f'"{self.schema}".' if self.schema and self.is_postgres else ""
        with self.engine.begin() as c:
            if self.is_sqlite:
                for op in ("update", "delete"):
                    c.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}_no_{op}"')
            elif self.is_postgres:
                c.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}_append_only" ON {sch}"{name}"')
                c.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}_no_truncate" ON {sch}"{name}"')

    def drop_all(self) -> None:
        self.t.metadata.drop_all(self.engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(matex_write=True)
            with conn.begin():
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as c:
                c.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False


def _sqlite_setup(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _rec):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("matex_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")
