"""Extractions, jobs and result versions in the database: submit, claim, heartbeat, complete.

Durability rules:
- an upload is on disk (api/blobs.py) before its extraction and job rows are committed, so an
  accepted job (a 200/202 was sent) always finds its bytes;
- a worker claims a job with a conditional UPDATE (state and attempt counter unchanged), gets a
  lease (`lease_expires_at`) and renews it while it works; a job whose lease expired (its worker
  died or hangs) is claimed again, with `attempts + 1`; after `max_attempts` it is failed;
- the result, the job's `done` state and the audit entry are written in one transaction, and
  only by the lease holder: a worker that lost its lease writes nothing, so a job is never done
  twice (and `result_version` is unique per extraction and version).
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from api import audit
from api.db import Database, dumps, now
from api.review import summarize

log = logging.getLogger("matex.api.jobs")

PENDING = ("queued", "running")


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Submitted:
    extraction: dict[str, Any]
    duplicate: bool


def submit(
    db: Database, *, tenant: str, sha256: str, source: str, size: int, kind: str, actor: str,
    key_id: str | None, priority: int = 0, max_attempts: int = 3,
) -> Submitted:
    """Record an upload (its bytes are already stored) and queue its job, or return the
    extraction the tenant already has for the same bytes."""
    t = db.t
    for _ in range(3):
        try:
            with db.write() as conn:
                row = conn.execute(sa.select(t.extraction).where(
                    t.extraction.c.tenant == tenant, t.extraction.c.sha256 == sha256)).mappings().first()
                if row is not None:
                    audit.append(conn, db, "upload", actor=actor, tenant=tenant, object_id=row["id"],
                                 details={"sha256": sha256, "size": size, "source": source, "duplicate": True})
                    return Submitted(dict(row), True)
                ts = now()
                eid = new_id()
                ext = dict(id=eid, tenant=tenant, sha256=sha256, source=source[:500], size=size, kind=kind,
                           status="queued", created_by=key_id, created_at=ts, updated_at=ts, version=0,
                           result=None, review_status="none")
                conn.execute(t.extraction.insert().values(**ext))
                conn.execute(t.job.insert().values(
                    id=new_id(), extraction_id=eid, state="queued", priority=priority, attempts=0,
                    max_attempts=max_attempts, created_at=ts))
                audit.append(conn, db, "upload", actor=actor, tenant=tenant, object_id=eid,
                             details={"sha256": sha256, "size": size, "source": source, "kind": kind})
                return Submitted(ext, False)
        except sa.exc.IntegrityError:  # the same tenant + sha256 raced in: read theirs
            continue
    raise RuntimeError("could not record the upload")


def get_extraction(db: Database, eid: str, tenant: str | None) -> dict[str, Any] | None:
    """The extraction, or None when it does not exist or belongs to another tenant
    (`tenant=None`: any tenant, for admins)."""
    t = db.t.extraction
    q = sa.select(t).where(t.c.id == eid)
    if tenant is not None:
        q = q.where(t.c.tenant == tenant)
    with db.read() as conn:
        row = conn.execute(q).mappings().first()
    return dict(row) if row else None


def get_job(db: Database, eid: str) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(sa.select(db.t.job).where(db.t.job.c.extraction_id == eid)).mappings().first()
    return dict(row) if row else None


def list_versions(db: Database, eid: str) -> list[dict[str, Any]]:
    t = db.t.result_version
    with db.read() as conn:
        rows = conn.execute(sa.select(t).where(t.c.extraction_id == eid).order_by(t.c.version)).mappings().all()
    return [dict(r) for r in rows]


def get_version(db: Database, eid: str, version: int) -> dict[str, Any] | None:
    t = db.t.result_version
    with db.read() as conn:
        row = conn.execute(sa.select(t).where(t.c.extraction_id == eid, t.c.version == version)).mappings().first()
    return dict(row) if row else None


def queue_counts(db: Database) -> dict[str, int]:
    t = db.t.job
    with db.read() as conn:
        rows = conn.execute(sa.select(t.c.state, sa.func.count()).group_by(t.c.state)).all()
    return {r[0]: int(r[1]) for r in rows}


# ---------------------------------------------------------------------------------- workers
def claim(db: Database, owner: str, lease_s: float) -> dict[str, Any] | None:
    """Take the next job (highest priority, oldest first), or one whose lease has expired."""
    t = db.t
    with db.write() as conn:
        ts = now()
        cands = conn.execute(
            sa.select(t.job).where(sa.or_(
                t.job.c.state == "queued",
                sa.and_(t.job.c.state == "running", t.job.c.lease_expires_at < ts),
            )).order_by(t.job.c.priority.desc(), t.job.c.created_at).limit(8)
        ).mappings().all()
        for c in cands:
            if c["attempts"] >= c["max_attempts"]:
                _fail_locked(conn, db, dict(c), f"gave up after {c['attempts']} attempts (last: "
                             f"{c['last_error'] or 'worker lost'})", expect_owner=c["lease_owner"])
                continue
            res = conn.execute(
                t.job.update().where(
                    t.job.c.id == c["id"], t.job.c.state == c["state"], t.job.c.attempts == c["attempts"],
                ).values(state="running", lease_owner=owner, lease_expires_at=ts + lease_s,
                         attempts=c["attempts"] + 1, started_at=ts)
            )
            if res.rowcount == 1:
                if c["state"] == "running":
                    log.warning("job %s: lease of %s expired, re-claimed (attempt %d)", c["id"], c["lease_owner"],
                                c["attempts"] + 1)
                conn.execute(t.extraction.update().where(t.extraction.c.id == c["extraction_id"])
                             .values(status="running", updated_at=ts))
                ext = conn.execute(sa.select(t.extraction).where(t.extraction.c.id == c["extraction_id"])).mappings().first()
                job = dict(c)
                job.update(state="running", lease_owner=owner, lease_expires_at=ts + lease_s, attempts=c["attempts"] + 1)
                job["extraction"] = dict(ext) if ext else None
                return job
    return None


def heartbeat(db: Database, job_id: str, owner: str, lease_s: float) -> bool:
    t = db.t.job
    with db.write() as conn:
        res = conn.execute(t.update().where(t.c.id == job_id, t.c.lease_owner == owner, t.c.state == "running")
                           .values(lease_expires_at=now() + lease_s))
    return res.rowcount == 1


def complete(db: Database, job_id: str, owner: str, result: dict[str, Any], elapsed_s: float | None = None) -> bool:
    """Write the machine result (version 1) and the job's end in one transaction, if `owner`
    still holds the lease. False: the lease was lost and nothing was written."""
    t = db.t
    try:
        with db.write() as conn:
            ts = now()
            res = conn.execute(t.job.update().where(
                t.job.c.id == job_id, t.job.c.lease_owner == owner, t.job.c.state == "running",
            ).values(state="done", finished_at=ts, lease_expires_at=None, last_error=None))
            if res.rowcount != 1:
                return False
            eid = conn.execute(sa.select(t.job.c.extraction_id).where(t.job.c.id == job_id)).scalar_one()
            _store_machine_result(conn, db, eid, result, owner, ts, "done", elapsed_s)
        return True
    except sa.exc.IntegrityError:  # a version 1 exists already: someone completed it
        log.warning("job %s: result already stored, not written twice", job_id)
        return False


def _store_machine_result(conn: Connection, db: Database, eid: str, result: dict[str, Any], actor: str,
                          ts: float, status: str, elapsed_s: float | None) -> None:
    t = db.t
    s = summarize(result)
    conn.execute(t.result_version.insert().values(
        extraction_id=eid, version=1, kind="machine", actor=f"worker:{actor}", created_at=ts, result=dumps(result)))
    conn.execute(t.extraction.update().where(t.extraction.c.id == eid).values(
        status=status, updated_at=ts, version=1, result=dumps(result),
        review_status="pending" if s["needs_review"] else "none",
        min_conf=s["min_conf"], failing_checks=s["failing_checks"], risk=s["risk"], doc_types=s["doc_types"]))
    tenant = conn.execute(sa.select(t.extraction.c.tenant).where(t.extraction.c.id == eid)).scalar_one()
    audit.append(conn, db, "extraction", actor=f"worker:{actor}", tenant=tenant, object_id=eid, details={
        "status": status, "pages": result.get("pages", 0), "documents": s["doc_types"],
        "errors": [e.get("code") for e in result.get("errors") or []], "needs_review": s["needs_review"],
        **({"seconds": round(elapsed_s, 3)} if elapsed_s is not None else {}),
    })


def failed_result(ext: dict[str, Any] | None, message: str) -> dict[str, Any]:
    return {
        "source": (ext or {}).get("source", ""), "sha256": (ext or {}).get("sha256", ""), "pages": 0,
        "documents": [], "errors": [{"code": "processing_failed", "message": message, "page": None}],
    }


def _fail_locked(conn: Connection, db: Database, job: dict[str, Any], message: str, expect_owner: str | None) -> bool:
    t = db.t
    ts = now()
    q = t.job.update().where(t.job.c.id == job["id"], t.job.c.state.in_(PENDING))
    q = q.where(t.job.c.lease_owner == expect_owner) if expect_owner else q.where(t.job.c.lease_owner.is_(None))
    res = conn.execute(q.values(state="failed", finished_at=ts, lease_expires_at=None, last_error=message[:2000]))
    if res.rowcount != 1:
        return False
    ext = conn.execute(sa.select(t.extraction).where(t.extraction.c.id == job["extraction_id"])).mappings().first()
    _store_machine_result(conn, db, job["extraction_id"], failed_result(dict(ext) if ext else None, message),
                          expect_owner or "supervisor", ts, "failed", None)
    return True


def fail(db: Database, job_id: str, owner: str, error: str, retry: bool = True) -> str:
    """A worker could not process its job: give it back for another attempt (while attempts
    remain) or fail it. Returns the new state, or "" when the lease was lost meanwhile."""
    t = db.t
    with db.write() as conn:
        job = conn.execute(sa.select(t.job).where(t.job.c.id == job_id)).mappings().first()
        if job is None or job["lease_owner"] != owner or job["state"] != "running":
            return ""
        if retry and job["attempts"] < job["max_attempts"]:
            conn.execute(t.job.update().where(t.job.c.id == job_id, t.job.c.lease_owner == owner)
                         .values(state="queued", lease_owner=None, lease_expires_at=None, last_error=error[:2000]))
            conn.execute(t.extraction.update().where(t.extraction.c.id == job["extraction_id"])
                         .values(status="queued", updated_at=now()))
            return "queued"
        _fail_locked(conn, db, dict(job), error, expect_owner=owner)
        return "failed"


def release_owner(db: Database, owner: str, reason: str | None = None) -> int:
    """The worker `owner` is known to be dead: its running jobs go back to the queue now
    (instead of when their lease expires). Attempts already count the lost one; `reason`
    (how it died) is kept as the job's last error, the message of its failure if it was the last
    attempt."""
    t = db.t
    with db.write() as conn:
        rows = conn.execute(sa.select(t.job.c.id, t.job.c.extraction_id).where(
            t.job.c.lease_owner == owner, t.job.c.state == "running")).all()
        for r in rows:
            conn.execute(t.job.update().where(t.job.c.id == r.id, t.job.c.lease_owner == owner,
                                              t.job.c.state == "running")
                         .values(state="queued", lease_owner=None, lease_expires_at=None,
                                 last_error=(reason or f"worker {owner} died")[:2000]))
            conn.execute(t.extraction.update().where(t.extraction.c.id == r.extraction_id)
                         .values(status="queued", updated_at=now()))
    return len(rows)


def running_owner(db: Database, eid: str) -> str | None:
    with db.read() as conn:
        return conn.execute(sa.select(db.t.job.c.lease_owner).where(
            db.t.job.c.extraction_id == eid, db.t.job.c.state == "running")).scalar()


# ---------------------------------------------------------------------------------- reviews
class Conflict(Exception):
    pass


def add_version(
    db: Database, eid: str, tenant: str | None, *, actor: str, kind: str, result: dict[str, Any],
    changes: list[dict[str, Any]] | None, note: str | None, review_status: str, base_version: int | None,
    audit_details: dict[str, Any],
) -> int:
    """Store a reviewer's version (n+1) and make it current; Conflict when `base_version` is stale."""
    t = db.t
    with db.write() as conn:
        q = sa.select(t.extraction).where(t.extraction.c.id == eid)
        if tenant is not None:
            q = q.where(t.extraction.c.tenant == tenant)
        ext = conn.execute(q).mappings().first()
        if ext is None:
            raise KeyError(eid)
        cur = int(ext["version"])
        if base_version is not None and base_version != cur:
            raise Conflict(f"the result is at version {cur}, not {base_version}")
        ts = now()
        s = summarize(result)
        res = conn.execute(t.extraction.update().where(t.extraction.c.id == eid, t.extraction.c.version == cur).values(
            version=cur + 1, result=dumps(result), updated_at=ts, review_status=review_status,
            min_conf=s["min_conf"], failing_checks=s["failing_checks"], risk=s["risk"]))
        if res.rowcount != 1:
            raise Conflict("changed meanwhile")
        conn.execute(t.result_version.insert().values(
            extraction_id=eid, version=cur + 1, kind=kind, actor=actor, created_at=ts, result=dumps(result),
            changes=dumps(changes or []), note=note))
        audit.append(conn, db, kind, actor=actor, tenant=ext["tenant"], object_id=eid,
                     details={"version": cur + 1, **audit_details})
    return cur + 1


def review_queue(db: Database, tenant: str | None, limit: int = 50, offset: int = 0,
                 status: str = "pending") -> list[dict[str, Any]]:
    t = db.t.extraction
    q = sa.select(t.c.id, t.c.tenant, t.c.source, t.c.created_at, t.c.updated_at, t.c.min_conf, t.c.failing_checks,
                  t.c.risk, t.c.doc_types, t.c.review_status, t.c.version, t.c.status).where(t.c.review_status == status)
    if tenant is not None:
        q = q.where(t.c.tenant == tenant)
    q = q.order_by(t.c.risk.desc(), t.c.created_at, t.c.id).limit(limit).offset(offset)
    with db.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings().all()]


def log_view(db: Database, actor: str, tenant: str, eid: str, what: str) -> None:
    with db.write() as conn:
        audit.append(conn, db, "view", actor=actor, tenant=tenant, object_id=eid, details={"what": what})
