"""The manifest (SQLite) and the results file (JSONL), kept exactly-once together.

Only the coordinator writes either. For each finished input:

1. one SQLite transaction marks the input finished and stores its result line in the row
   (`line`), with the next `seq`: from here on the result cannot be lost;
2. the line is appended to results.jsonl;
3. at a checkpoint (every second or so): results.jsonl is fsync'ed, then one transaction
   clears `line` in those rows, records where each line lies (`jsonl_offset`, `jsonl_length`)
   and the size of results.jsonl that is now known good (`meta.jsonl_size`).

A crash (kill -9, power cut, Ctrl-C) can stop this anywhere. On the next start, `reconcile`
truncates results.jsonl to `jsonl_size` (dropping a half-written last line and any line written
after the last checkpoint) and appends again, in `seq` order, every row whose `line` is still
set. So each finished input has exactly one line, never a duplicate, never a missing one, never
a torn one; an input that was being processed when the crash came is simply not finished and is
done again. The manifest is the truth; `verify` checks results.jsonl against it.
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

MANIFEST = "manifest.sqlite"
RESULTS = "results.jsonl"
LOCK = ".lock"
FINISHED = ("done", "error", "duplicate")

SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (
    key           TEXT PRIMARY KEY,   -- stable input id, also the `source` of its result line
    path          TEXT,               -- absolute path (the archive, for a zip member)
    member        TEXT,               -- name inside the zip archive
    size          INTEGER,
    sha256        TEXT,
    status        TEXT NOT NULL,      -- pending | done | error | duplicate
    duplicate_of  TEXT,               -- key of the first input with the same sha256
    attempts      INTEGER NOT NULL DEFAULT 0,  -- worker crashes while processing it
    pages         INTEGER NOT NULL DEFAULT 0,
    documents     INTEGER NOT NULL DEFAULT 0,
    review        INTEGER NOT NULL DEFAULT 0,  -- documents that need review
    types         TEXT,               -- JSON {type: documents}
    review_types  TEXT,               -- JSON {type: documents needing review}
    error_codes   TEXT,               -- JSON [code, ...]
    error_message TEXT,
    seconds       REAL,
    worker        TEXT,
    rss_mb        REAL,
    run_id        INTEGER,
    seq           INTEGER,            -- commit order = order of lines in results.jsonl
    finished_at   REAL,
    line          TEXT,               -- the result line until it is safely in results.jsonl
    jsonl_offset  INTEGER,
    jsonl_length  INTEGER
);
CREATE INDEX IF NOT EXISTS inputs_sha256 ON inputs (sha256);
CREATE INDEX IF NOT EXISTS inputs_seq ON inputs (seq);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    started_at  REAL,
    ended_at    REAL,
    status      TEXT,                 -- running | finished | interrupted | failed (or killed: still running)
    executor    TEXT,
    workers     INTEGER,
    argv        TEXT,
    processed   INTEGER DEFAULT 0,
    skipped     INTEGER DEFAULT 0,
    duplicates  INTEGER DEFAULT 0,
    errors      INTEGER DEFAULT 0,
    pages       INTEGER DEFAULT 0,
    reconciled  TEXT                  -- JSON: what reconcile repaired at the start
);
"""


class StoreError(RuntimeError):
    pass


class BatchLocked(StoreError):
    pass


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    else:
        con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
    con.row_factory = sqlite3.Row
    return con


class Store:
    def __init__(self, out_dir: str | Path, checkpoint_every: float = 1.0, checkpoint_lines: int = 64):
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.dir / LOCK, "a+")
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise BatchLocked(f"another batch is running on {self.dir} (lock held on {self.dir / LOCK})") from None
        self.con = connect(self.dir / MANIFEST)
        self.con.executescript(SCHEMA)
        self.jsonl_path = self.dir / RESULTS
        self._fh = None
        self._unsynced: list[tuple[str, int, int]] = []  # (key, offset, length) written, not checkpointed
        self._last_checkpoint = time.monotonic()
        self.checkpoint_every = checkpoint_every
        self.checkpoint_lines = checkpoint_lines
        self.seq = int(self.con.execute("SELECT COALESCE(MAX(seq), 0) FROM inputs").fetchone()[0])

    # ---------------------------------------------------------------- meta
    def meta(self, k: str, default: str | None = None) -> str | None:
        row = self.con.execute("SELECT v FROM meta WHERE k=?", (k,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, k: str, v: Any) -> None:
        self.con.execute("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v=excluded.v", (k, str(v)))

    # ---------------------------------------------------------------- recovery
    def reconcile(self) -> dict[str, int]:
        """Make results.jsonl hold exactly one line per finished input (see the module doc)."""
        good = int(self.meta("jsonl_size", "0") or 0)
        actual = self.jsonl_path.stat().st_size if self.jsonl_path.exists() else 0
        if actual < good:
            raise StoreError(
                f"{self.jsonl_path} is {actual} bytes but the manifest knows {good} good bytes: "
                "it was truncated or replaced outside the batch; restore it or start a new output folder"
            )
        rows = self.con.execute("SELECT key, line FROM inputs WHERE line IS NOT NULL ORDER BY seq").fetchall()
        with open(self.jsonl_path, "ab") as fh:
            fh.truncate(good)
        self._open()
        for r in rows:
            self._append(r["key"], r["line"])
        self.checkpoint(force=True)
        # inputs that were being processed when the last run stopped are simply not finished
        stale = self.con.execute("SELECT COUNT(*) FROM inputs WHERE status='pending'").fetchone()[0]
        return {"truncated_bytes": actual - good, "lines_rewritten": len(rows), "unfinished": int(stale)}

    # ---------------------------------------------------------------- queries
    def status(self, key: str) -> str | None:
        row = self.con.execute("SELECT status FROM inputs WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def attempts(self, key: str) -> int:
        row = self.con.execute("SELECT attempts FROM inputs WHERE key=?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def first_with_sha(self, sha256: str) -> str | None:
        row = self.con.execute(
            "SELECT key FROM inputs WHERE sha256=? AND status IN ('done','error') ORDER BY seq LIMIT 1", (sha256,)
        ).fetchone()
        return row[0] if row else None

    def finished_count(self) -> int:
        return int(self.con.execute("SELECT COUNT(*) FROM inputs WHERE status IN ('done','error','duplicate')").fetchone()[0])

    def row(self, key: str) -> sqlite3.Row | None:
        return self.con.execute("SELECT * FROM inputs WHERE key=?", (key,)).fetchone()

    def line_of(self, key: str) -> str:
        """The result line of a finished input (from the row, or read back from results.jsonl)."""
        r = self.con.execute("SELECT line, jsonl_offset, jsonl_length FROM inputs WHERE key=?", (key,)).fetchone()
        if r is None:
            raise KeyError(key)
        if r["line"] is not None:
            return r["line"]
        if self._fh is not None:
            self._fh.flush()
        with open(self.jsonl_path, "rb") as fh:
            fh.seek(r["jsonl_offset"])
            return fh.read(r["jsonl_length"]).decode("utf-8").rstrip("\n")

    # ---------------------------------------------------------------- writes
    def begin_run(self, executor: str, workers: int, argv: list[str], reconciled: dict) -> int:
        cur = self.con.execute(
            "INSERT INTO runs (started_at, status, executor, workers, argv, reconciled) VALUES (?, 'running', ?, ?, ?, ?)",
            (time.time(), executor, workers, json.dumps(argv, ensure_ascii=False), json.dumps(reconciled)),
        )
        return int(cur.lastrowid)

    def end_run(self, run_id: int, status: str, counts: dict[str, int]) -> None:
        self.con.execute(
            "UPDATE runs SET ended_at=?, status=?, processed=?, skipped=?, duplicates=?, errors=?, pages=? WHERE id=?",
            (time.time(), status, counts.get("processed", 0), counts.get("skipped", 0), counts.get("duplicates", 0),
             counts.get("errors", 0), counts.get("pages", 0), run_id),
        )

    def mark_pending(self, key: str, path: str, member: str | None, size: int, sha256: str, run_id: int) -> None:
        self.con.execute(
            "INSERT INTO inputs (key, path, member, size, sha256, status, run_id) VALUES (?, ?, ?, ?, ?, 'pending', ?) "
            "ON CONFLICT(key) DO UPDATE SET path=excluded.path, member=excluded.member, size=excluded.size, "
            "sha256=excluded.sha256, run_id=excluded.run_id WHERE status='pending'",
            (key, path, member, size, sha256, run_id),
        )

    def add_attempt(self, key: str) -> int:
        self.con.execute("UPDATE inputs SET attempts=attempts+1 WHERE key=?", (key,))
        return self.attempts(key)

    def finish(self, key: str, *, path: str, member: str | None, size: int, sha256: str, status: str, line: str,
               stats: dict[str, Any], run_id: int, duplicate_of: str | None = None) -> None:
        """Commit one finished input (durable), then append its line to results.jsonl."""
        if self._fh is None:
            raise StoreError("reconcile() must run before results are written")
        self.seq += 1
        vals = (
            path, member, size, sha256, status, duplicate_of,
            int(stats.get("pages", 0)), int(stats.get("documents", 0)), int(stats.get("review", 0)),
            json.dumps(stats.get("types") or {}, ensure_ascii=False),
            json.dumps(stats.get("review_types") or {}, ensure_ascii=False),
            json.dumps(stats.get("error_codes") or []), stats.get("error_message") or None,
            stats.get("seconds"), stats.get("worker"), stats.get("rss_mb"), run_id, self.seq, time.time(), line,
        )
        cur = self.con.execute(
            "INSERT INTO inputs (key, path, member, size, sha256, status, duplicate_of, pages, documents, review, types, "
            "review_types, error_codes, error_message, seconds, worker, rss_mb, run_id, seq, finished_at, line) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET path=excluded.path, member=excluded.member, size=excluded.size, "
            "sha256=excluded.sha256, status=excluded.status, duplicate_of=excluded.duplicate_of, pages=excluded.pages, "
            "documents=excluded.documents, review=excluded.review, types=excluded.types, review_types=excluded.review_types, "
            "error_codes=excluded.error_codes, error_message=excluded.error_message, seconds=excluded.seconds, "
            "worker=excluded.worker, rss_mb=excluded.rss_mb, run_id=excluded.run_id, seq=excluded.seq, "
            "finished_at=excluded.finished_at, line=excluded.line "
            "WHERE inputs.status NOT IN ('done','error','duplicate')",
            (key, *vals),
        )
        if cur.rowcount == 0:  # already finished (cannot happen with one coordinator): keep its one line
            self.seq -= 1
            return
        self._append(key, line)
        self.checkpoint()

    def _open(self) -> None:
        if self._fh is None:
            self._fh = open(self.jsonl_path, "ab")
            self._fh.seek(0, os.SEEK_END)

    def _append(self, key: str, line: str) -> None:
        data = (line.rstrip("\n") + "\n").encode("utf-8")
        off = self._fh.tell()
        self._fh.write(data)
        self._unsynced.append((key, off, len(data)))

    def checkpoint(self, force: bool = False) -> None:
        if not self._unsynced and not force:
            return
        now = time.monotonic()
        if not force and len(self._unsynced) < self.checkpoint_lines and now - self._last_checkpoint < self.checkpoint_every:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        size = self._fh.tell()
        self.con.execute("BEGIN IMMEDIATE")
        try:
            self.con.executemany(
                "UPDATE inputs SET line=NULL, jsonl_offset=?, jsonl_length=? WHERE key=?",
                [(off, n, key) for key, off, n in self._unsynced],
            )
            self._set_meta("jsonl_size", size)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self._unsynced.clear()
        self._last_checkpoint = now

    def close(self) -> None:
        try:
            if self._fh is not None:
                self.checkpoint(force=True)
                self._fh.close()
                self._fh = None
        finally:
            self.con.close()
            try:
                fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            finally:
                self._lock.close()


# ---------------------------------------------------------------- read side
def iter_lines(out_dir: str | Path) -> Iterator[dict[str, Any]]:
    """Every complete, parseable result in results.jsonl (streamed)."""
    p = Path(out_dir) / RESULTS
    if not p.exists():
        return
    with open(p, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break  # a torn last line (the batch is running or was killed): not a result
            try:
                yield json.loads(raw)
            except ValueError:
                continue


def verify(out_dir: str | Path) -> dict[str, Any]:
    """Check results.jsonl against the manifest: one line per finished input, nothing else."""
    d = Path(out_dir)
    con = connect(d / MANIFEST, readonly=True)
    try:
        finished = {r[0] for r in con.execute("SELECT key FROM inputs WHERE status IN ('done','error','duplicate')")}
        unwritten = {r[0] for r in con.execute("SELECT key FROM inputs WHERE line IS NOT NULL")}
    finally:
        con.close()
    seen: dict[str, int] = {}
    bad = 0
    torn = False
    p = d / RESULTS
    if p.exists():
        with open(p, "rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    torn = True
                    break
                try:
                    key = json.loads(raw)["source"]
                except (ValueError, KeyError, TypeError):
                    bad += 1
                    continue
                seen[key] = seen.get(key, 0) + 1
    duplicated = sorted(k for k, n in seen.items() if n > 1)
    missing = sorted(finished - set(seen))
    extra = sorted(set(seen) - finished)
    return {
        "ok": not (duplicated or missing or extra or bad or torn),
        "finished": len(finished),
        "lines": sum(seen.values()),
        "duplicated": duplicated,
        "missing": missing,
        "extra": extra,
        "bad_lines": bad,
        "torn_last_line": torn,
        "awaiting_reconcile": sorted(unwritten),
    }
