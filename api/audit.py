"""The audit trail: an append-only, hash-chained log table.

Each entry is `{seq, ts, actor, tenant, action, object_id, details, prev_hash}` and its `hash` is
sha256 over the canonical JSON of that (keys sorted, no spaces, UTF-8). `prev_hash` is the hash
of entry `seq - 1` (64 zeros for the first). A separate one-row table `audit_head` holds the
last seq and hash, written in the same transaction, so removing entries at the end shows too.

`verify(db)` recomputes the chain and names every entry that was edited, removed or inserted.
Personal data never goes in as is: ID numbers are masked (`matex.privacy`), names too.

Entries are appended inside the caller's write transaction, so an entry exists exactly when the
change it records was committed.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api.db import Database
from api.privacy import mask_value, redact

GENESIS = "0" * 64
ACTIONS = ("upload", "extraction", "view", "correction", "approve", "reject", "key_create", "key_revoke", "purge")


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: entry[k] for k in ("seq", "ts", "actor", "tenant", "action", "object_id", "details", "prev_hash")}
    return hashlib.sha256(canonical(body)).hexdigest()


def _mask_details(obj: Any, key: str = "") -> Any:
    if isinstance(obj, dict):
        return {k: _mask_details(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mask_details(v, key) for v in obj]
    if isinstance(obj, str):
        return mask_value(key, obj) if key else redact(obj)
    return obj


def _lock(conn: Connection, db: Database) -> None:
    if db.is_postgres:  # serialise appends across connections (SQLite: BEGIN IMMEDIATE does)
        key = int(hashlib.sha256(f"{db.schema}.{db.prefix}audit".encode()).hexdigest()[:15], 16)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def append(
    conn: Connection,
    db: Database,
    action: str,
    *,
    actor: str,
    tenant: str | None = None,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one entry inside the current write transaction; returns it (with its hash)."""
    t = db.t
    _lock(conn, db)
    head = conn.execute(sa.select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)).first()
    if head is None:
        last = conn.execute(
            sa.select(t.audit_log.c.seq, t.audit_log.c.hash).order_by(t.audit_log.c.seq.desc()).limit(1)
        ).first()
        seq, prev = (int(last.seq) + 1, last.hash) if last else (1, GENESIS)
    else:
        seq, prev = int(head.seq) + 1, head.hash
    entry = {
        "seq": seq,
        "ts": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"),
        "actor": str(actor),
        "tenant": tenant,
        "action": action,
        "object_id": object_id,
        "details": json.dumps(_mask_details(details or {}), ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        "prev_hash": prev,
    }
    entry["hash"] = entry_hash(entry)
    conn.execute(t.audit_log.insert().values(**entry))
    if head is None:
        conn.execute(t.audit_head.insert().values(id=1, seq=seq, hash=entry["hash"]))
    else:
        conn.execute(t.audit_head.update().where(t.audit_head.c.id == 1).values(seq=seq, hash=entry["hash"]))
    return entry


@dataclass
class VerifyReport:
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    head_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(db: Database, batch: int = 5000) -> VerifyReport:
    """Walk the chain in seq order; every break is reported with the seq where it is seen."""
    t = db.t
    rep = VerifyReport()
    prev_hash, prev_seq = GENESIS, 0
    with db.read() as conn:
        head = conn.execute(sa.select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)).first()
        after = 0
        while True:
            rows = conn.execute(
                sa.select(t.audit_log).where(t.audit_log.c.seq > after).order_by(t.audit_log.c.seq).limit(batch)
            ).mappings().all()
            if not rows:
                break
            for r in rows:
                e = dict(r)
                seq = int(e["seq"])
                rep.entries += 1
                if seq != prev_seq + 1:
                    missing = f"{prev_seq + 1}" if seq == prev_seq + 2 else f"{prev_seq + 1}..{seq - 1}"
                    rep.problems.append(f"entry {missing} removed (seq jumps from {prev_seq} to {seq})")
                elif e["prev_hash"] != prev_hash:
                    rep.problems.append(f"entry {prev_seq} edited (hash recomputed; entry {seq} still links to the "
                                        f"original) or entry {seq} inserted: prev_hash of {seq} does not match")
                if entry_hash(e) != e["hash"]:
                    rep.problems.append(f"entry {seq} edited: its hash does not match its content")
                prev_hash, prev_seq = e["hash"], seq
            after = int(rows[-1]["seq"])
    if head is not None:
        rep.head_seq = int(head.seq)
        if int(head.seq) > prev_seq:
            rep.problems.append(f"entries {prev_seq + 1}..{int(head.seq)} removed (the log ends at {prev_seq}, "
                                f"the head says {int(head.seq)})")
        elif int(head.seq) == prev_seq and head.hash != prev_hash:
            rep.problems.append(f"entry {prev_seq} edited or replaced: its hash differs from the recorded head")
        elif int(head.seq) < prev_seq:
            rep.problems.append(f"entries {int(head.seq) + 1}..{prev_seq} appended outside the service (head at {int(head.seq)})")
    elif rep.entries:
        rep.problems.append("the audit head is missing (removed)")
    return rep
