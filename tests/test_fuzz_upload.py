"""The upload endpoint under hostile input (hypothesis): mutated image/TIFF/PDF files and raw,
malformed multipart bodies. Whatever arrives, the answer is a JSON object (the contract result or
an error body), never a 5xx, and a file that was accepted is stored and answered for.

The app runs with one worker process on the fake engine, so the reader (extract/inputs.py) runs
for real on every accepted file; OCR itself is not the point here.
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st

from api import auth
from api.app import create_app
from api.settings import Settings
from api.testing import wait_ready
from tests.test_fuzz_inputs import SEED_NAMES, _op, mutate, seeds

pytestmark = pytest.mark.timeout(300)

FUZZ = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz_upload")
    s = Settings(data_dir=str(d), workers=1, engine="fake", poll_s=0.2, max_upload_bytes=400_000,
                 sync_max_bytes=400_000, sync_timeout_s=20, rate_per_s=1e5, rate_burst=1e5, max_pixels=4_000_000)
    app = create_app(s)
    key = auth.create_key(app.state.matex.db, "portal", "city-a", "fuzz")
    with TestClient(app) as client:
        wait_ready(client)
        yield client, {"Authorization": f"Bearer {key}"}


def _json_answer(r) -> dict:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    body = r.json()
    assert isinstance(body, dict)
    if r.status_code >= 400:
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
    return body


@pytest.mark.parametrize("name", ["png", "jpeg", "tiff_multipage", "pdf_fpdf", "webp"])
@FUZZ
@given(ops=st.lists(_op, min_size=1, max_size=4))
def test_mutated_uploads_get_a_json_answer(app_client, name, ops):
    client, h = app_client
    data = mutate(seeds()[name], ops)
    r = client.post("/v1/extractions", headers=h, files={"file": ("scan.bin", data, "application/octet-stream")})
    body = _json_answer(r)
    if r.status_code in (200, 202):
        # accepted: stored, and the same id answers on GET with the same sha256
        g = client.get(f"/v1/extractions/{body['id']}", headers=h)
        assert g.status_code in (200, 202) and g.json()["id"] == body["id"]  # 202: still queued
        assert g.json().get("sha256", body.get("sha256")) == body.get("sha256")
        if r.status_code == 200 and body.get("status") == "done":
            assert isinstance(body["documents"], list) and isinstance(body["errors"], list)
            for e in body["errors"]:
                assert e["code"] and e["message"]


@FUZZ
@given(body=st.binary(max_size=4096), boundary=st.sampled_from([b"x", b"----abc", b"", b"\xff\xfe"]))
def test_malformed_multipart_bodies_get_a_4xx(app_client, body, boundary):
    client, h = app_client
    headers = dict(h)
    headers["content-type"] = b"multipart/form-data; boundary=" + boundary  # raw bytes on the wire
    r = client.post("/v1/extractions", headers=headers, content=b"--" + boundary + b"\r\n" + body)
    _json_answer(r)
    assert r.status_code != 200 or r.json().get("id")


def test_the_seed_files_named_exist():
    assert {"png", "jpeg", "tiff_multipage", "pdf_fpdf", "webp"} <= set(SEED_NAMES)
