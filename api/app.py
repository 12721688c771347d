"""The matex HTTP service: `create_app(settings)` builds the FastAPI app.

    POST /v1/extractions            upload (multipart, field `file`): 200 + result for a single
                                    image under `sync_max_bytes` when the worker answers within
                                    `sync_timeout_s`; else 202 + job id. Same tenant + same bytes:
                                    the existing extraction (`duplicate: true`).
    GET  /v1/extractions/{id}       the result (current version; `?version=1` the machine's)
    GET  /v1/extractions/{id}/versions, /pages/{n}, /documents/{d}/fields/{f}/crop
    POST /v1/extractions/{id}/corrections | /approve | /reject      (reviewers)
    GET  /v1/review/queue           riskiest first
    POST /v1/keys                   (admins)
    GET  /review, /review/{id}      the reviewer workbench (HTML)
    GET  /healthz /readyz /metrics

Errors are always `{"error": {"code", "message"}}` with a 4xx (5xx only for real faults): the
database unreachable is a 503 `database_unavailable`, the upload storage failing a 503
`storage_unavailable`, the disk full a 507 `insufficient_storage`, each with Retry-After (see
RELIABILITY.md); every error status of an operation is declared in the OpenAPI document.
"""
from __future__ import annotations

import asyncio
import errno
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import sqlalchemy as sa
from anyio import to_thread
from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from api import audit, auth, images, jobs
from api.auth import KeyCache, Principal, RateLimiter
from api.blobs import BlobStore
from api.db import Database, now
from api.metrics import Metrics
from api.models import (
    AuditVerifyOut, CorrectionIn, DecisionIn, ExtractionList, ExtractionOut, HealthOut, JobAccepted, KeyIn, KeyOut,
    QueueOut, ReadyOut, VersionOut, error_responses,
)
from api.privacy import mask_value
from api.review import CorrectionError, apply_changes, set_decision
from api.settings import Settings

log = logging.getLogger("matex.api")

SYNC_KINDS = {"jpeg", "png", "bmp", "webp"}
COOKIE = "matex_key"
CSRF_HEADER = "x-matex-csrf"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "file_too_large",
               415: "unsupported_media_type", 422: "invalid_request", 429: "rate_limited"}
DB_RETRY_AFTER_S = 5  # Retry-After of a 503 (database or storage unavailable)
DISK_RETRY_AFTER_S = 60  # and of a 507 when the upload storage is full
INT_MAX = 2_147_483_647  # bound of integer query parameters (a bigger one overflows SQLite)
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def _db_unavailable(exc: BaseException) -> bool:
    """A database error that is the database being unreachable or failing (connection refused or
    dropped, server shutting down, disk I/O error, locked for too long), not a bug of ours."""
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError,
                        sa.exc.TimeoutError)):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and bool(exc.connection_invalidated)


def _db_full(exc: BaseException) -> bool:
    return "database or disk is full" in str(getattr(exc, "orig", exc)).lower()


class AppState:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.database_url, settings.table_prefix, settings.db_schema, create=True)
        self.blobs = BlobStore.for_settings(settings)  # encrypted at rest (api/crypto.py)
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        self.keys = KeyCache(self.db)
        self.limiter = RateLimiter(settings.rate_per_s, settings.rate_burst)
        self.metrics = Metrics()
        self.pool = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiters: dict[str, list[asyncio.Future]] = {}
        self.metrics.add_queue_collector(lambda: jobs.queue_counts(self.db), self.workers_alive, self.review_pending)

    def workers_alive(self) -> int:
        return self.pool.alive() if self.pool else 0

    def review_pending(self) -> int:
        t = self.db.t.extraction
        with self.db.read() as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(t).where(t.c.review_status == "pending")).scalar())

    # -- worker events (called from the pool's listener thread)
    def on_done(self, note: dict) -> None:
        if note.get("seconds") is not None:
            self.metrics.extraction_seconds.observe(note["seconds"])
        self.metrics.jobs_finished.labels(note.get("state", "?")).inc()
        eid = note.get("extraction_id")
        if eid and self.loop is not None:
            self.loop.call_soon_threadsafe(self._wake, eid)

    def _wake(self, eid: str) -> None:
        for fut in self.waiters.pop(eid, []):
            if not fut.done():
                fut.set_result(True)

    async def wait_done(self, eid: str, timeout: float) -> dict | None:
        """Wait for the extraction to be finished (woken by the worker; the DB is re-read every
        second too, for workers that run elsewhere). The row when finished, else None."""
        deadline = time.monotonic() + timeout
        loop = asyncio.get_running_loop()
        while True:
            fut = loop.create_future()
            self.waiters.setdefault(eid, []).append(fut)
            ext = await to_thread.run_sync(jobs.get_extraction, self.db, eid, None)
            if ext is None or ext["status"] in ("done", "failed"):
                self._drop_waiter(eid, fut)
                return ext
            left = deadline - time.monotonic()
            if left <= 0:
                self._drop_waiter(eid, fut)
                return None
            try:
                await asyncio.wait_for(fut, timeout=min(left, 1.0))
            except asyncio.TimeoutError:
                pass
            self._drop_waiter(eid, fut)

    def _drop_waiter(self, eid: str, fut: asyncio.Future) -> None:
        lst = self.waiters.get(eid)
        if lst and fut in lst:
            lst.remove(fut)
            if not lst:
                self.waiters.pop(eid, None)


def _st(request: Request) -> AppState:
    return request.app.state.matex


# ------------------------------------------------------------------------------ access
def _key_from(request: Request) -> tuple[str | None, bool]:
    h = request.headers.get("authorization", "")
    if h[:7].lower() == "bearer ":
        return h[7:].strip(), False
    k = request.headers.get("x-api-key")
    if k:
        return k.strip(), False
    c = request.cookies.get(COOKIE)
    if c:
        return c, True
    return None, False


def authenticate(request: Request) -> Principal:
    st = _st(request)
    key, from_cookie = _key_from(request)
    if not key:
        raise ApiError(401, "unauthorized", "an API key is required (Authorization: Bearer <key> or X-API-Key)",
                       {"WWW-Authenticate": "Bearer"})
    p = st.keys.lookup(key)
    if p is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key", {"WWW-Authenticate": "Bearer"})
    if from_cookie and request.method not in ("GET", "HEAD") and request.headers.get(CSRF_HEADER) != "1":
        raise ApiError(403, "csrf", f"browser requests that change data must send the {CSRF_HEADER} header")
    wait = st.limiter.take(p.key_id, p.rate_per_s, p.burst)
    if wait > 0:
        st.metrics.rate_limited.inc()
        ra = RateLimiter.retry_after(wait)
        raise ApiError(429, "rate_limited", f"too many requests for this key; retry in {ra} s", {"Retry-After": str(ra)})
    request.state.principal = p
    return p


# Declared for OpenAPI (security schemes); `authenticate` reads the headers itself.
_BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="Authorization: Bearer mx_<id>_<secret>")
_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey",
                        description="the same key in X-API-Key")


def require(perm: str):
    def dep(request: Request, _b=Security(_BEARER), _k=Security(_API_KEY)) -> Principal:
        p = authenticate(request)
        if not p.can(perm):
            raise ApiError(403, "forbidden", f"a {p.role} key may not {perm}")
        return p

    return dep


def _tenant_scope(p: Principal) -> str | None:
    return None if p.all_tenants else p.tenant


def _load(st: AppState, eid: str, p: Principal) -> dict:
    if len(eid) > 64:
        raise ApiError(404, "not_found", "no such extraction")
    ext = jobs.get_extraction(st.db, eid, _tenant_scope(p))
    if ext is None:
        raise ApiError(404, "not_found", f"no extraction {eid}")
    return ext


# ------------------------------------------------------------------------------ bodies
def links(ext: dict, result: dict | None = None) -> dict:
    base = f"/v1/extractions/{ext['id']}"
    out: dict[str, Any] = {"self": base, "versions": f"{base}/versions", "review": f"/review/{ext['id']}"}
    if result is not None:
        out["pages"] = [f"{base}/pages/{n}" for n in range(1, int(result.get("pages") or 0) + 1)]
    return out


def pending_body(ext: dict, duplicate: bool = False) -> dict:
    return {"id": ext["id"], "status": ext["status"], "source": ext["source"], "sha256": ext["sha256"],
            "duplicate": duplicate, "links": links(ext)}


def result_body(ext: dict, duplicate: bool = False, result_text: str | None = None, version: int | None = None) -> dict:
    result = json.loads(result_text or ext["result"] or "{}")
    body = dict(result)
    body.update(id=ext["id"], status=ext["status"], version=version or ext["version"],
                review_status=ext["review_status"], duplicate=duplicate, links=links(ext, result))
    return body


def _accepted(ext: dict, duplicate: bool) -> JSONResponse:
    return JSONResponse(pending_body(ext, duplicate), status_code=202,
                        headers={"Location": f"/v1/extractions/{ext['id']}", "Retry-After": "1"})


# ------------------------------------------------------------------------------ the app
def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    st = AppState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        st.loop = asyncio.get_running_loop()
        if settings.workers > 0:
            from api.worker import WorkerPool

            st.pool = WorkerPool(settings, st.db, on_done=st.on_done)
            st.pool.start()
        try:
            yield
        finally:
            if st.pool is not None:
                await to_thread.run_sync(st.pool.stop)
                st.pool = None
            st.db.dispose()

    app = FastAPI(
        title="matex",
        version="0.1.0",
        summary="Typed fields from Chinese benefit-claim documents (ID cards, medical reports).",
        description=(
            "Upload a document; get the extraction result of the shared contract (`source`, `sha256`, `pages`, "
            "`documents[].fields{name: {value, confidence, bbox, page, raw, checks}}`, `crosscheck`, `errors`). "
            "Authenticate with `Authorization: Bearer mx_…` (roles: portal, reviewer, admin). "
            "Errors are `{\"error\": {\"code\", \"message\"}}`."
        ),
        lifespan=lifespan,
        openapi_tags=[
            {"name": "extractions", "description": "Upload documents and read results"},
            {"name": "review", "description": "Reviewer queue and corrections (each one a new version)"},
            {"name": "admin", "description": "API keys"},
            {"name": "ops", "description": "Health, readiness, metrics"},
        ],
    )
    app.state.matex = st

    # ---------------------------------------------------------------- errors
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        msg = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, ensure_ascii=False)
        if exc.status_code == 404 and msg == "Not Found":
            msg = f"no route {request.method} {request.url.path}"
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), msg,
                              getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors()[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        return error_response(422, "invalid_request", "; ".join(parts) or "invalid request")

    async def _db_error(request: Request, exc: Exception):
        if _db_full(exc):
            log.error("database full on %s %s: %s", request.method, request.url.path, exc)
            return error_response(507, "insufficient_storage", "the database storage is full; try again later",
                                  {"Retry-After": str(DISK_RETRY_AFTER_S)})
        if _db_unavailable(exc):
            log.error("database unavailable on %s %s: %s", request.method, request.url.path,
                      (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0])
            return error_response(503, "database_unavailable", "the database is unavailable; try again later",
                                  {"Retry-After": str(DB_RETRY_AFTER_S)})
        log.exception("database error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")

    for cls in (sa.exc.DBAPIError, sa.exc.DisconnectionError, sa.exc.TimeoutError):
        app.add_exception_handler(cls, _db_error)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError):
        if exc.errno in _NO_SPACE:
            log.error("storage full on %s %s: %s", request.method, request.url.path, exc)
            return error_response(507, "insufficient_storage", "the storage is full; try again later",
                                  {"Retry-After": str(DISK_RETRY_AFTER_S)})
        log.exception("I/O error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")

    # ---------------------------------------------------------------- metrics middleware
    @app.middleware("http")
    async def _metrics(request: Request, call_next):
        t0 = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            st.metrics.requests.labels(request.method, path, str(status)).inc()
            st.metrics.latency.labels(request.method, path).observe(time.perf_counter() - t0)

    # ---------------------------------------------------------------- uploads
    upload_body = {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": "JPEG, PNG, BMP, WebP, TIFF or PDF (recognised by content)"},
                    "source": {"type": "string", "description": "the name to record (default: the file name)"},
                }},
                "encoding": {"file": {"contentType": "image/jpeg, image/png, application/pdf, */*"}},
            }},
        }
    }

    @app.post(
        "/v1/extractions", tags=["extractions"], summary="Upload a document",
        openapi_extra=upload_body,
        response_model=None,
        responses={
            200: {"model": ExtractionOut, "description": "Processed within the synchronous limit (or a known duplicate)"},
            202: {"model": JobAccepted, "description": "Stored and queued: poll `links.self`"},
            **error_responses(400, 401, 403, 413, 415, 422, 429, 503, 507),
        },
    )
    async def create_extraction(
        request: Request,
        p: Principal = Depends(require("upload")),
        wait: bool = Query(True, description="wait for the result of a small single image (false: always 202)"),
    ):
        ctype = request.headers.get("content-type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            raise ApiError(415, "unsupported_media_type",
                           "send the document as multipart/form-data with the file in the field 'file'")
        limit = settings.max_upload_bytes
        cl = request.headers.get("content-length")
        if cl is not None:
            try:
                if int(cl) > limit + 64 * 1024:
                    st.metrics.uploads.labels("rejected").inc()
                    raise ApiError(413, "file_too_large", f"the upload is {int(cl)} bytes; the limit is {limit}")
            except ValueError:
                raise ApiError(400, "bad_request", "invalid Content-Length") from None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit + 64 * 1024:
                st.metrics.uploads.labels("rejected").inc()
                raise ApiError(413, "file_too_large", f"the upload is over the limit of {limit} bytes")
        data_bytes = bytes(body)

        async def _gen():
            yield data_bytes

        try:
            form = await MultiPartParser(request.headers, _gen(), max_files=1, max_fields=8,
                                         max_part_size=64 * 1024).parse()
        except MultiPartException as exc:
            raise ApiError(400, "malformed_multipart", f"the multipart body could not be read: {exc.message}") from None
        except Exception as exc:
            raise ApiError(400, "malformed_multipart", f"the multipart body could not be read: {exc}") from None
        up = form.get("file")
        if up is None or isinstance(up, str):
            files = [v for _, v in form.multi_items() if not isinstance(v, str)]
            if not files:
                raise ApiError(422, "missing_file", "no file in the upload: send it in the multipart field 'file'")
            up = files[0]
        data = await up.read()
        await form.close()
        if len(data) > limit:
            st.metrics.uploads.labels("rejected").inc()
            raise ApiError(413, "file_too_large", f"the file is {len(data)} bytes; the limit is {limit}")
        if not data:
            raise ApiError(422, "empty_file", "the file is empty (0 bytes)")
        from extract.inputs import sniff

        kind = sniff(data)
        if kind == "unknown":
            st.metrics.uploads.labels("rejected").inc()
            raise ApiError(415, "unsupported_format",
                           "not a JPEG, PNG, BMP, WebP, TIFF or PDF file (recognised by content, not by name)")
        name = form.get("source")
        source = (name if isinstance(name, str) and name.strip() else up.filename) or "upload"
        source = source.replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
        sync = wait and kind in SYNC_KINDS and len(data) <= settings.sync_max_bytes

        try:
            sha = await to_thread.run_sync(st.blobs.put, data)  # on disk before it is accepted
        except OSError as exc:  # nothing is recorded: no extraction without its bytes
            st.metrics.uploads.labels("storage_error").inc()
            if exc.errno in _NO_SPACE:
                log.error("upload not stored, storage full: %s", exc)
                raise ApiError(507, "insufficient_storage", "the upload storage is full; nothing was stored, "
                               "try again later", {"Retry-After": str(DISK_RETRY_AFTER_S)}) from None
            log.error("upload not stored: %s", exc)
            raise ApiError(503, "storage_unavailable", "the upload could not be stored; try again later",
                           {"Retry-After": str(DB_RETRY_AFTER_S)}) from None
        sub = await to_thread.run_sync(lambda: jobs.submit(
            st.db, tenant=p.tenant, sha256=sha, source=source, size=len(data), kind=kind, actor=p.actor,
            key_id=p.key_id, priority=1 if sync else 0, max_attempts=settings.max_attempts))
        ext = sub.extraction
        if not sub.duplicate and st.pool is not None:
            st.pool.ring()
        if ext["status"] not in ("done", "failed") and sync:
            done = await st.wait_done(ext["id"], settings.sync_timeout_s)
            if done is None:
                st.metrics.uploads.labels("sync_timeout").inc()
            else:
                ext = done
        if ext["status"] in ("done", "failed"):
            st.metrics.uploads.labels("duplicate" if sub.duplicate else "sync").inc()
            await to_thread.run_sync(jobs.log_view, st.db, p.actor, ext["tenant"], ext["id"], "upload_response")
            headers = {"X-Matex-Duplicate": "true"} if sub.duplicate else {}
            return JSONResponse(result_body(ext, sub.duplicate), status_code=200, headers=headers)
        st.metrics.uploads.labels("duplicate" if sub.duplicate else "async").inc()
        return _accepted(ext, sub.duplicate)

    @app.get("/v1/extractions", tags=["extractions"], summary="List this tenant's extractions (newest first)",
             response_model=None, responses={200: {"model": ExtractionList, "description": "A page of extractions"},
                                             **error_responses(401, 403, 422, 429, 503)})
    def list_extractions(
        p: Principal = Depends(require("read")),
        status: str | None = Query(None, pattern="^(queued|running|done|failed)$"),
        limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=INT_MAX),
    ):
        t = st.db.t.extraction
        q = sa.select(t.c.id, t.c.tenant, t.c.source, t.c.sha256, t.c.status, t.c.review_status, t.c.version,
                      t.c.created_at, t.c.doc_types)
        if not p.all_tenants:
            q = q.where(t.c.tenant == p.tenant)
        if status:
            q = q.where(t.c.status == status)
        q = q.order_by(t.c.created_at.desc()).limit(limit).offset(offset)
        with st.db.read() as c:
            rows = [dict(r) for r in c.execute(q).mappings()]
        for r in rows:
            r["links"] = {"self": f"/v1/extractions/{r['id']}"}
        return {"items": rows, "limit": limit, "offset": offset}

    @app.get(
        "/v1/extractions/{eid}", tags=["extractions"], summary="The result of an extraction",
        response_model=None,
        responses={200: {"model": ExtractionOut, "description": "Finished (done or failed): the result"},
                   202: {"model": JobAccepted, "description": "Still queued or running"},
                   **error_responses(401, 403, 404, 422, 429, 503)},
    )
    def get_extraction(eid: str, p: Principal = Depends(require("read")),
                       version: int | None = Query(None, ge=1, le=INT_MAX,
                                                   description="a past version (1: the machine's)")):
        ext = _load(st, eid, p)
        if ext["status"] not in ("done", "failed"):
            return _accepted(ext, False)
        if version is not None and version != ext["version"]:
            v = jobs.get_version(st.db, eid, version)
            if v is None:
                raise ApiError(404, "not_found", f"extraction {eid} has no version {version}")
            jobs.log_view(st.db, p.actor, ext["tenant"], eid, f"result v{version}")
            return JSONResponse(result_body(ext, result_text=v["result"], version=version))
        jobs.log_view(st.db, p.actor, ext["tenant"], eid, "result")
        return JSONResponse(result_body(ext))

    @app.get("/v1/extractions/{eid}/versions", tags=["review"], summary="Every version: who, when, what changed",
             response_model=list[VersionOut], responses=error_responses(401, 403, 404, 422, 429, 503))
    def get_versions(eid: str, p: Principal = Depends(require("read"))):
        _load(st, eid, p)
        out = []
        for v in jobs.list_versions(st.db, eid):
            out.append({"version": v["version"], "kind": v["kind"], "actor": v["actor"],
                        "created_at": _iso(v["created_at"]), "changes": json.loads(v["changes"] or "[]"),
                        "note": v["note"]})
        return out

    def _image_response(jpeg: bytes) -> Response:
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})

    @app.get("/v1/extractions/{eid}/pages/{page}", tags=["review"], summary="A page as rendered for extraction (JPEG)",
             response_class=Response,
             responses={200: {"content": {"image/jpeg": {}}, "description": "bboxes are pixels of this image"},
                        **error_responses(401, 403, 404, 422, 429, 503)})
    def get_page(eid: str, page: int, p: Principal = Depends(require("read")),
                 max_side: int | None = Query(None, ge=64, le=10000)):
        ext = _load(st, eid, p)
        try:
            data = st.blobs.get(ext["sha256"])
            jpeg = images.page_jpeg(data, ext["sha256"], page, settings.cache_dir, settings.max_pixels, max_side)
        except (images.PageNotFound, FileNotFoundError):
            raise ApiError(404, "not_found", f"extraction {eid} has no page {page}") from None
        jobs.log_view(st.db, p.actor, ext["tenant"], eid, f"page {page}")
        return _image_response(jpeg)

    @app.get("/v1/extractions/{eid}/documents/{doc}/fields/{field}/crop", tags=["review"],
             summary="The image of one field (its bbox with a margin, JPEG)", response_class=Response,
             responses={200: {"content": {"image/jpeg": {}}}, **error_responses(401, 403, 404, 422, 429, 503)})
    def get_crop(eid: str, doc: int, field: str, p: Principal = Depends(require("read"))):
        ext = _load(st, eid, p)
        result = json.loads(ext["result"] or "{}")
        docs = result.get("documents") or []
        if not 0 <= doc < len(docs) or field not in (docs[doc].get("fields") or {}):
            raise ApiError(404, "not_found", f"no field {field!r} in document {doc}")
        f = docs[doc]["fields"][field]
        if not f.get("bbox"):
            raise ApiError(404, "not_found", f"field {field!r} has no box")
        try:
            jpeg = images.crop_jpeg(st.blobs.get(ext["sha256"]), ext["sha256"], int(f.get("page") or 1), f["bbox"],
                                    settings.cache_dir, max_pixels=settings.max_pixels)
        except (images.PageNotFound, FileNotFoundError):
            raise ApiError(404, "not_found", "the field's page is not available") from None
        jobs.log_view(st.db, p.actor, ext["tenant"], eid, f"crop {doc}/{field}")
        return _image_response(jpeg)

    # ---------------------------------------------------------------- review
    @app.get("/v1/review/queue", tags=["review"], summary="Extractions needing review, riskiest first",
             response_model=None, responses={200: {"model": QueueOut, "description": "A page of the queue"},
                                             **error_responses(401, 403, 422, 429, 503)})
    def get_queue(p: Principal = Depends(require("review")), limit: int = Query(50, ge=1, le=500),
                  offset: int = Query(0, ge=0, le=INT_MAX)):
        items = jobs.review_queue(st.db, _tenant_scope(p), limit, offset)
        for it in items:
            it["created_at"] = _iso(it["created_at"])
            it["updated_at"] = _iso(it["updated_at"])
            it["links"] = {"self": f"/v1/extractions/{it['id']}", "review": f"/review/{it['id']}"}
        return {"items": items, "limit": limit, "offset": offset}

    def _new_version(eid: str, p: Principal, body: CorrectionIn, kind: str, decision: str | None) -> dict:
        ext = _load(st, eid, p)
        if ext["status"] not in ("done", "failed"):
            raise ApiError(409, "not_ready", "the extraction is not finished yet")
        if body.base_version is not None and body.base_version != ext["version"]:
            raise ApiError(409, "conflict", f"the result is at version {ext['version']}, not {body.base_version}")
        result = json.loads(ext["result"] or "{}")
        ts = now()
        try:
            new, applied = apply_changes(result, [c.model_dump() for c in body.changes], p.actor, ts)
        except CorrectionError as exc:
            raise ApiError(422, "invalid_correction", str(exc)) from None
        if kind == "correction" and not applied:
            raise ApiError(422, "no_change", "no field differs from the current version")
        review_status = ext["review_status"] if ext["review_status"] != "none" else "pending"
        if decision is not None:
            new = set_decision(new, decision, p.actor, ts, getattr(body, "reason", None) or body.note)
            review_status = decision
        details = {"changes": [{"document": c["document"], "field": c["field"],
                                "old": mask_value(c["field"], c["old"]), "new": mask_value(c["field"], c["new"])}
                               for c in applied]}
        if decision:
            details["decision"] = decision
        try:
            v = jobs.add_version(st.db, eid, _tenant_scope(p), actor=p.actor, kind=kind, result=new, changes=applied,
                                 note=getattr(body, "reason", None) or body.note, review_status=review_status,
                                 base_version=ext["version"], audit_details=details)
        except jobs.Conflict as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        ext = _load(st, eid, p)
        return result_body(ext, version=v)

    vresp = {200: {"model": ExtractionOut, "description": "The new current version"},
             **error_responses(400, 401, 403, 404, 409, 422, 429, 503)}

    @app.post("/v1/extractions/{eid}/corrections", tags=["review"], summary="Correct field values (a new version)",
              response_model=None, responses=vresp)
    def post_corrections(eid: str, body: CorrectionIn, p: Principal = Depends(require("review"))):
        return _new_version(eid, p, body, "correction", None)

    @app.post("/v1/extractions/{eid}/approve", tags=["review"], summary="Approve (with optional last corrections)",
              response_model=None, responses=vresp)
    def post_approve(eid: str, body: DecisionIn, p: Principal = Depends(require("review"))):
        return _new_version(eid, p, body, "approve", "approved")

    @app.post("/v1/extractions/{eid}/reject", tags=["review"], summary="Reject (the document is unusable)",
              response_model=None, responses=vresp)
    def post_reject(eid: str, body: DecisionIn, p: Principal = Depends(require("review"))):
        return _new_version(eid, p, body, "reject", "rejected")

    # ---------------------------------------------------------------- admin
    @app.post("/v1/keys", tags=["admin"], summary="Create an API key (shown once)", status_code=201,
              response_model=KeyOut, responses=error_responses(400, 401, 403, 422, 429, 503))
    def post_key(body: KeyIn, p: Principal = Depends(require("admin"))):
        key = auth.create_key(st.db, body.role, body.tenant, body.name, body.rate_per_s, body.burst, actor=p.actor)
        return {"key": key, "key_id": key.split("_")[1], "role": body.role, "tenant": body.tenant}

    @app.get("/v1/audit/verify", tags=["admin"], summary="Verify the audit chain",
             response_model=None, responses={200: {"model": AuditVerifyOut, "description": "The chain's state"},
                                             **error_responses(401, 403, 429, 503)})
    def get_audit_verify(p: Principal = Depends(require("admin"))):
        rep = audit.verify(st.db)
        return {"ok": rep.ok, "entries": rep.entries, "problems": rep.problems}

    # ---------------------------------------------------------------- ops
    @app.get("/healthz", tags=["ops"], summary="Liveness", response_model=HealthOut)
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Readiness: database, storage, workers", response_model=None,
             responses={200: {"model": ReadyOut, "description": "Ready"},
                        503: {"model": ReadyOut, "description": "Not ready: `checks` says what is not"}})
    def readyz():
        checks = {"database": st.db.ping(), "storage": st.blobs.writable()}
        if settings.workers > 0:
            alive = st.pool.alive() if st.pool else 0
            ready = len(st.pool.ready) if st.pool else 0
            checks["workers"] = ready > 0
            extra = {"workers_alive": alive, "workers_ready": ready, "workers_wanted": settings.workers,
                     "worker_pids": st.pool.pids() if st.pool else {}}
        else:
            extra = {"workers_wanted": 0}
        ok = all(checks.values())
        return JSONResponse({"status": "ready" if ok else "not_ready", "checks": checks, **extra},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format"}})
    def metrics():
        if st.pool is not None:
            st.metrics.worker_restarts.set(st.pool.restarts)
        return Response(generate_latest(st.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    from api.web import register_web

    register_web(app, st, authenticate)
    return app


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    import datetime as _dt

    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).isoformat(timespec="seconds")
