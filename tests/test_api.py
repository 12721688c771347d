"""The HTTP API through httpx (FastAPI TestClient): uploads, access, bad input, review, audit.

One app for the module, with one worker process on the fake engine (no OCR): the machinery
is what is tested here; real OCR is in test_api_ocr.py.
"""
from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api import audit, auth
from api.app import create_app
from api.settings import Settings
from api.testing import png_bytes, wait_ready

pytestmark = pytest.mark.timeout(120)

MAX_UPLOAD = 300_000
SYNC_MAX = 200_000


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("api")
    s = Settings(data_dir=str(d), workers=1, engine="fake", poll_s=0.2, max_upload_bytes=MAX_UPLOAD,
                 sync_max_bytes=SYNC_MAX, sync_timeout_s=15, rate_per_s=200, rate_burst=400)
    app = create_app(s)
    st = app.state.matex
    keys = {
        "portal": auth.create_key(st.db, "portal", "city-a", "portal A"),
        "portal_b": auth.create_key(st.db, "portal", "city-b", "portal B"),
        "reviewer": auth.create_key(st.db, "reviewer", "city-a", "rev A"),
        "reviewer_b": auth.create_key(st.db, "reviewer", "city-b", "rev B"),
        "admin": auth.create_key(st.db, "admin", "hq", "admin"),
    }
    with TestClient(app) as client:
        wait_ready(client)
        yield client, st, keys


def H(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def upload(client, key, data: bytes, name: str = "card.png", ctype: str = "image/png", **params):
    return client.post("/v1/extractions", headers=H(key), files={"file": (name, data, ctype)}, params=params)


def assert_error(r, status: int, code: str | None = None):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message"}, body
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body


def poll(client, key, eid: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/v1/extractions/{eid}", headers=H(key))
        if r.status_code == 200:
            return r
        assert r.status_code == 202, r.text
        time.sleep(0.1)
    raise TimeoutError(eid)


# ---------------------------------------------------------------------------------- uploads
def test_sync_upload_returns_contract_result(env):
    client, st, keys = env
    data = png_bytes(seed=1)
    r = upload(client, keys["portal"], data, "front.png")
    assert r.status_code == 200, r.text
    body = r.json()
    for k in ("source", "sha256", "pages", "documents", "errors"):  # the contract's keys
        assert k in body
    assert body["source"] == "front.png" and body["pages"] == 1 and body["errors"] == []
    import hashlib

    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    doc = body["documents"][0]
    for k in ("type", "page", "region", "confidence", "needs_review", "warnings", "fields", "crosscheck"):
        assert k in doc
    f = doc["fields"]["id_number"]
    assert set(f) >= {"value", "confidence", "bbox", "page", "raw", "checks"}
    assert doc["crosscheck"]["status"] == "skipped"  # no golden DB configured
    assert body["status"] == "done" and body["version"] == 1 and body["duplicate"] is False
    # stored before processing: content-addressed on disk, encrypted at rest
    assert st.blobs.get(body["sha256"]) == data
    on_disk = st.blobs.path(body["sha256"]).read_bytes()
    assert on_disk[:4] == b"\x89MXE" and data not in on_disk
    # GET gives the same result
    g = client.get(f"/v1/extractions/{body['id']}", headers=H(keys["portal"]))
    assert g.status_code == 200 and g.json()["documents"] == body["documents"]


def test_duplicate_upload_same_tenant_gives_existing(env):
    client, st, keys = env
    data = png_bytes(seed=2)
    a = upload(client, keys["portal"], data, "a.png").json()
    b = upload(client, keys["portal"], data, "b.png")
    assert b.status_code == 200 and b.json()["id"] == a["id"] and b.json()["duplicate"] is True
    assert b.headers.get("x-matex-duplicate") == "true"
    # another tenant with the same bytes gets its own extraction
    c = upload(client, keys["portal_b"], data, "c.png").json()
    assert c["id"] != a["id"] and c["duplicate"] is False
    t = st.db.t.extraction
    with st.db.read() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(t).where(t.c.sha256 == a["sha256"])).scalar()
    assert n == 2


def test_pdf_and_large_images_are_async(env):
    client, st, keys = env
    from tests.helpers import text_image, text_pdf

    pdf = text_pdf(image_pages=[text_image()])
    r = upload(client, keys["portal"], pdf, "claim.pdf", "application/pdf")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] in ("queued", "running") and r.headers["location"] == f"/v1/extractions/{body['id']}"
    assert r.headers["retry-after"]
    done = poll(client, keys["portal"], body["id"]).json()
    assert done["pages"] == 1 and done["status"] == "done"
    # an image over the synchronous limit (but under the upload limit) is also a job
    big = png_bytes(w=900, h=900, seed=5)
    big += b"\0" * (SYNC_MAX + 1000 - len(big))  # trailing bytes after IEND: still a PNG
    r = upload(client, keys["portal"], big, "big.png")
    assert r.status_code == 202, r.text
    poll(client, keys["portal"], r.json()["id"])
    # and ?wait=false always answers at once
    r = upload(client, keys["portal"], png_bytes(seed=6), "w.png", wait="false")
    assert r.status_code == 202


def test_corrupt_image_is_a_result_with_errors_not_a_crash(env):
    client, _, keys = env
    r = upload(client, keys["portal"], b"\x89PNG\r\n\x1a\n" + b"garbage" * 50, "broken.png")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pages"] == 0 and body["documents"] == [] and body["errors"]
    assert body["errors"][0]["code"]


# ---------------------------------------------------------------------------------- bad input
def test_bad_input_gives_clear_4xx(env):
    client, _, keys = env
    k = keys["portal"]
    # oversize
    r = upload(client, k, b"\xff\xd8\xff" + b"0" * (MAX_UPLOAD + 70_000), "huge.jpg", "image/jpeg")
    assert_error(r, 413, "file_too_large")
    # wrong type (by content, whatever the name says)
    assert_error(upload(client, k, b"%!PS-Adobe-3.0\nnot an image", "x.jpg", "image/jpeg"), 415, "unsupported_format")
    assert_error(upload(client, k, "诊断证明".encode() * 10, "notes.txt", "text/plain"), 415, "unsupported_format")
    # not multipart at all
    r = client.post("/v1/extractions", headers={**H(k), "Content-Type": "application/json"}, content=b'{"a": 1}')
    assert_error(r, 415, "unsupported_media_type")
    # malformed multipart
    r = client.post("/v1/extractions", headers={**H(k), "Content-Type": "multipart/form-data; boundary=XYZ"},
                    content=b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nabc")
    assert r.status_code in (400, 422), r.text
    assert_error(r, r.status_code)
    r = client.post("/v1/extractions", headers={**H(k), "Content-Type": "multipart/form-data"}, content=b"xx")
    assert r.status_code in (400, 422)
    assert_error(r, r.status_code)
    # no file part, empty file
    r = client.post("/v1/extractions", headers=H(k), data={"source": "x"}, files={"other": ("", b"", "text/plain")})
    assert r.status_code == 422
    r = client.post("/v1/extractions", headers=H(k), data={"source": "x", "note": "y"})
    assert r.status_code in (415, 422)
    assert_error(r, r.status_code)
    assert_error(upload(client, k, b"", "empty.png"), 422, "empty_file")
    # unknown ids and routes
    assert_error(client.get("/v1/extractions/0123456789abcdef0123456789abcdef", headers=H(k)), 404, "not_found")
    assert_error(client.get("/v1/extractions/" + "x" * 300, headers=H(k)), 404)
    assert_error(client.get("/v1/nothing-here", headers=H(k)), 404)
    assert_error(client.delete("/v1/extractions", headers=H(k)), 405)
    # invalid JSON / fields in a correction
    r = client.post("/v1/extractions/abc/corrections", headers={**H(keys["reviewer"]), "Content-Type": "application/json"},
                    content=b"{not json")
    assert_error(r, 422, "invalid_request")
    r = client.get("/v1/review/queue", headers=H(keys["reviewer"]), params={"limit": "many"})
    assert_error(r, 422, "invalid_request")


def test_missing_or_wrong_keys(env):
    client, _, keys = env
    data = png_bytes(seed=11)
    assert_error(client.post("/v1/extractions", files={"file": ("a.png", data, "image/png")}), 401, "unauthorized")
    r = client.post("/v1/extractions", headers=H("mx_nothere_secret"), files={"file": ("a.png", data, "image/png")})
    assert_error(r, 401)
    assert_error(client.get("/v1/extractions", headers=H("not-a-key")), 401)
    right_id_wrong_secret = keys["portal"].rsplit("_", 1)[0] + "_wrong"
    assert_error(client.get("/v1/extractions", headers=H(right_id_wrong_secret)), 401)
    assert_error(client.get("/v1/extractions", headers={"X-API-Key": keys["portal"] + "x"}), 401)
    # roles
    assert_error(upload(client, keys["reviewer"], data), 403, "forbidden")
    assert_error(client.get("/v1/review/queue", headers=H(keys["portal"])), 403)
    assert_error(client.post("/v1/keys", headers=H(keys["portal"]), json={"role": "admin", "tenant": "x"}), 403)


def test_tenants_never_see_each_other(env):
    client, _, keys = env
    a = upload(client, keys["portal"], png_bytes(seed=21), "mine.png").json()
    eid = a["id"]
    for k in ("portal_b", "reviewer_b"):
        for path in ("", "/versions", "/pages/1", "/documents/0/fields/name/crop"):
            assert_error(client.get(f"/v1/extractions/{eid}{path}", headers=H(keys[k])), 404)
    assert_error(client.post(f"/v1/extractions/{eid}/approve", headers=H(keys["reviewer_b"]), json={}), 404)
    ids_b = [i["id"] for i in client.get("/v1/extractions", headers=H(keys["portal_b"])).json()["items"]]
    assert eid not in ids_b
    # same tenant's reviewer and the admin can read it
    assert client.get(f"/v1/extractions/{eid}", headers=H(keys["reviewer"])).status_code == 200
    assert client.get(f"/v1/extractions/{eid}", headers=H(keys["admin"])).status_code == 200


def test_rate_limit_429_with_retry_after(env):
    client, st, keys = env
    k = auth.create_key(st.db, "portal", "city-a", "slow", rate_per_s=0.1, burst=2)
    codes = [client.get("/v1/extractions", headers=H(k)).status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 429
    r = client.get("/v1/extractions", headers=H(k))
    assert_error(r, 429, "rate_limited")
    assert 1 <= int(r.headers["retry-after"]) <= 10
    assert client.get("/v1/extractions", headers=H(keys["portal"])).status_code == 200  # others unaffected


# ---------------------------------------------------------------------------------- images
def test_page_image_and_field_crop(env):
    client, _, keys = env
    body = upload(client, keys["portal"], png_bytes(w=500, h=300, seed=31)).json()
    eid = body["id"]
    r = client.get(f"/v1/extractions/{eid}/pages/1", headers=H(keys["portal"]))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    from PIL import Image
    import io

    assert Image.open(io.BytesIO(r.content)).size == (500, 300)  # bbox pixels = this image's pixels
    small = client.get(f"/v1/extractions/{eid}/pages/1", headers=H(keys["portal"]), params={"max_side": 100})
    assert max(Image.open(io.BytesIO(small.content)).size) == 100
    r = client.get(f"/v1/extractions/{eid}/documents/0/fields/id_number/crop", headers=H(keys["portal"]))
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert_error(client.get(f"/v1/extractions/{eid}/pages/2", headers=H(keys["portal"])), 404)
    assert_error(client.get(f"/v1/extractions/{eid}/documents/0/fields/nope/crop", headers=H(keys["portal"])), 404)


# ---------------------------------------------------------------------------------- review
def test_review_queue_corrections_versions(env):
    client, st, keys = env
    ids = []
    for seed in range(40, 52):
        b = upload(client, keys["portal"], png_bytes(seed=seed), f"q{seed}.png").json()
        ids.append(b["id"])
    q = client.get("/v1/review/queue", headers=H(keys["reviewer"]), params={"limit": 500}).json()["items"]
    assert q, "the fake engine puts some results below the review threshold"
    risks = [i["risk"] for i in q]
    assert risks == sorted(risks, reverse=True)  # riskiest first
    assert all(i["tenant"] == "city-a" for i in q)
    assert client.get("/v1/review/queue", headers=H(keys["reviewer_b"])).json()["items"] == [] or all(
        i["tenant"] == "city-b" for i in client.get("/v1/review/queue", headers=H(keys["reviewer_b"])).json()["items"])
    mine = [i for i in q if i["id"] in ids]
    assert mine
    eid = mine[0]["id"]
    orig = client.get(f"/v1/extractions/{eid}", headers=H(keys["reviewer"])).json()
    old_id = orig["documents"][0]["fields"]["id_number"]["value"]
    new_id = "11010519491231002X"
    r = client.post(f"/v1/extractions/{eid}/corrections", headers=H(keys["reviewer"]),
                    json={"changes": [{"document": 0, "field": "id_number", "value": new_id}], "base_version": 1,
                          "note": "read from the image"})
    assert r.status_code == 200, r.text
    v2 = r.json()
    assert v2["version"] == 2 and v2["review_status"] == "pending"
    f = v2["documents"][0]["fields"]["id_number"]
    assert f["value"] == new_id and f["confidence"] == 1.0 and f["corrected"] is True
    assert f["machine_value"] == old_id and f["corrected_by"].startswith("reviewer:")
    # stale base version
    r = client.post(f"/v1/extractions/{eid}/corrections", headers=H(keys["reviewer"]),
                    json={"changes": [{"document": 0, "field": "name", "value": "李四"}], "base_version": 1})
    assert_error(r, 409, "conflict")
    # no real change
    assert_error(client.post(f"/v1/extractions/{eid}/corrections", headers=H(keys["reviewer"]),
                             json={"changes": [{"document": 0, "field": "id_number", "value": new_id}]}), 422)
    assert_error(client.post(f"/v1/extractions/{eid}/corrections", headers=H(keys["reviewer"]),
                             json={"changes": [{"document": 7, "field": "x", "value": "y"}]}), 422)
    # approve
    r = client.post(f"/v1/extractions/{eid}/approve", headers=H(keys["reviewer"]), json={"base_version": 2})
    assert r.status_code == 200, r.text
    v3 = r.json()
    assert v3["version"] == 3 and v3["review_status"] == "approved" and v3["review"]["status"] == "approved"
    assert all(not d["needs_review"] for d in v3["documents"])
    assert eid not in [i["id"] for i in client.get("/v1/review/queue", headers=H(keys["reviewer"])).json()["items"]]
    # the machine's result is kept
    v1 = client.get(f"/v1/extractions/{eid}", headers=H(keys["portal"]), params={"version": 1}).json()
    assert v1["documents"][0]["fields"]["id_number"]["value"] == old_id and v1["version"] == 1
    vs = client.get(f"/v1/extractions/{eid}/versions", headers=H(keys["portal"])).json()
    assert [v["kind"] for v in vs] == ["machine", "correction", "approve"]
    assert vs[1]["actor"].startswith("reviewer:") and vs[1]["created_at"] and vs[1]["note"] == "read from the image"
    assert vs[1]["changes"] == [{"document": 0, "field": "id_number", "old": old_id, "new": new_id}]
    # reject another
    other = next(i["id"] for i in q if i["id"] != eid)
    r = client.post(f"/v1/extractions/{other}/reject", headers=H(keys["reviewer"]), json={"reason": "unreadable"})
    assert r.status_code == 200 and r.json()["review_status"] == "rejected"
    assert r.json()["review"]["reason"] == "unreadable"
    # a portal key may read but not review
    assert_error(client.post(f"/v1/extractions/{other}/approve", headers=H(keys["portal"]), json={}), 403)


# ---------------------------------------------------------------------------------- audit
def test_audit_trail_masks_and_detects_tampering(env, tmp_path):
    client, st, keys = env
    b = upload(client, keys["portal"], png_bytes(seed=61), "audit.png").json()
    eid = b["id"]
    idn = b["documents"][0]["fields"]["id_number"]["value"]
    client.get(f"/v1/extractions/{eid}", headers=H(keys["portal"]))
    client.post(f"/v1/extractions/{eid}/corrections", headers=H(keys["reviewer"]),
                json={"changes": [{"document": 0, "field": "id_number", "value": "11010519491231002X"}]})
    t = st.db.t.audit_log
    with st.db.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(t).order_by(t.c.seq)).mappings()]
    mine = [r for r in rows if r["object_id"] == eid]
    assert {"upload", "extraction", "view", "correction"} <= {r["action"] for r in mine}
    text = json.dumps(rows, ensure_ascii=False)
    assert idn not in text and "11010519491231002X" not in text  # ID numbers masked
    corr = next(r for r in mine if r["action"] == "correction")
    assert "110105********002X" in corr["details"]
    # each entry carries the previous one's hash
    for prev, cur in zip(rows, rows[1:]):
        assert cur["prev_hash"] == prev["hash"] and cur["seq"] == prev["seq"] + 1
    assert audit.verify(st.db).ok
    # tamper on a copy of the database: edit, then remove
    import shutil

    from api.db import Database

    src = st.settings.database_url.split("///", 1)[1]
    with st.db.engine.connect() as c:  # fold the WAL into the main file before copying
        c.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(src, copy)
    db2 = Database(str(copy))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):  # the database itself refuses
        with db2.write() as c:
            c.execute(t.update().where(t.c.seq == 1).values(actor="x"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db2.write() as c:
            c.execute(t.delete().where(t.c.seq == 1))
    db2.drop_audit_guards()  # someone with full access to the database file
    victim = rows[len(rows) // 2]["seq"]
    with db2.write() as c:
        c.execute(t.update().where(t.c.seq == victim).values(actor="someone else"))
    rep = audit.verify(db2)
    assert not rep.ok and any(f"entry {victim} edited" in p for p in rep.problems), rep.problems
    from matex.cli import main

    assert main(["audit", "verify", "--db", str(copy)]) == 1
    with db2.write() as c:  # restore, then remove one
        c.execute(t.update().where(t.c.seq == victim).values(actor=rows[len(rows) // 2]["actor"]))
    assert audit.verify(db2).ok
    assert main(["audit", "verify", "--db", str(copy)]) == 0
    with db2.write() as c:
        c.execute(t.delete().where(t.c.seq == victim + 1))
    rep = audit.verify(db2)
    assert any(f"entry {victim + 1} removed" in p for p in rep.problems), rep.problems
    last = rows[-1]["seq"]
    with db2.write() as c:  # removing the newest entries shows too (the head remembers)
        c.execute(t.delete().where(t.c.seq >= last - 1))
    assert any("removed" in p and str(last) in p for p in audit.verify(db2).problems)
    db2.dispose()


# ---------------------------------------------------------------------------------- keys, ops
def test_keys_hashed_and_created_by_cli_and_admin(env, capsys):
    client, st, keys = env
    from matex.cli import main

    db_url = st.settings.database_url
    assert main(["serve", "--db", db_url, "--data-dir", st.settings.data_dir, "--create-key", "portal", "city-c"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("mx_")
    assert client.get("/v1/extractions", headers=H(key)).status_code == 200
    r = client.post("/v1/keys", headers=H(keys["admin"]), json={"role": "reviewer", "tenant": "city-c"})
    assert r.status_code == 201, r.text
    rk = r.json()["key"]
    assert client.get("/v1/review/queue", headers=H(rk)).status_code == 200
    with st.db.read() as conn:
        stored = json.dumps([dict(x) for x in conn.execute(sa.select(st.db.t.api_key)).mappings()])
    for k in (key, rk, *keys.values()):
        assert k.split("_", 2)[2] not in stored  # only hashes are stored
    assert_error(client.post("/v1/keys", headers=H(keys["admin"]), json={"role": "root", "tenant": "x"}), 422)


def test_health_ready_metrics_openapi(env):
    client, _, _ = env
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": True, "storage": True, "workers": True}
    m = client.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    for name in ("matex_http_requests_total", "matex_http_request_seconds_bucket", "matex_uploads_total",
                 "matex_jobs{", "matex_workers_alive 1.0", "matex_extraction_seconds_count"):
        assert name in m.text, name
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/v1/extractions", "/v1/extractions/{eid}", "/v1/extractions/{eid}/pages/{page}",
              "/v1/review/queue", "/v1/extractions/{eid}/corrections", "/healthz", "/readyz", "/metrics"):
        assert p in paths, p
    post = paths["/v1/extractions"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"200", "202", "413", "415"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    assert schemas["ExtractionOut"]["example"]["documents"][0]["fields"]["id_number"]["checks"] == ["checksum_ok"]
    assert "example" in schemas["ErrorBody"]
    assert client.get("/docs").status_code == 200


def test_workbench_pages_need_a_reviewer_session(env):
    client, _, keys = env
    c = client
    r = c.get("/review", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/review/login")
    r = c.post("/review/login", data={"key": keys["portal"], "next": "/review"}, follow_redirects=False)
    assert r.status_code == 303 and "error" in r.headers["location"]
    r = c.post("/review/login", data={"key": keys["reviewer"], "next": "/review"}, follow_redirects=False)
    assert r.status_code == 303 and "matex_key" in r.headers.get("set-cookie", "")
    assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
    try:
        page = c.get("/review")
        assert page.status_code == 200 and "Review queue" in page.text
        q = c.get("/v1/review/queue").json()["items"]  # the cookie works for the API's GETs
        if q:
            item = c.get(f"/review/{q[0]['id']}")
            assert item.status_code == 200 and 'class="overlay"' in item.text and "input" in item.text
            # changing data with the cookie needs the CSRF header
            r = c.post(f"/v1/extractions/{q[0]['id']}/approve", json={})
            assert_error(r, 403, "csrf")
        assert c.get("/review/static/review.js").status_code == 200
        assert c.get("/review/0123456789abcdef0123456789abcdef").status_code == 404
    finally:
        c.cookies.clear()


def test_settings_from_env_and_cli_flags():
    from matex.cli import build_parser
    from matex.commands.serve import settings_from_args

    s = Settings.from_env({"MATEX_WORKERS": "3", "MATEX_SYNC_TIMEOUT_S": "2.5", "MATEX_DB_URL": "postgresql://u@h/db",
                           "MATEX_COOKIE_SECURE": "true", "MATEX_REVIEW_THRESHOLD": "0.95"})
    assert (s.workers, s.sync_timeout_s, s.cookie_secure, s.review_threshold) == (3, 2.5, True, 0.95)
    assert s.database_url == "postgresql+psycopg://u@h/db"
    args = build_parser().parse_args(["serve", "--workers", "2", "--max-upload-mb", "10", "--db", "/tmp/x.db",
                                      "--port", "9000"])
    s2 = settings_from_args(args)
    assert (s2.workers, s2.max_upload_bytes, s2.port) == (2, 10 * 1024 * 1024, 9000)
    assert s2.database_url == "sqlite:////tmp/x.db"
