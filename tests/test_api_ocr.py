"""End to end with real OCR: a generated ID card uploaded to the app, OCR'd in a worker process."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import auth
from api.app import create_app
from api.settings import Settings
from api.testing import id_card, wait_ready

pytestmark = pytest.mark.timeout(180)


def test_id_card_upload_with_real_ocr_in_a_worker(tmp_path):
    data, truth = id_card(seed=3)
    s = Settings(data_dir=str(tmp_path), workers=1, engine="rapidocr", poll_s=0.2, sync_timeout_s=60)
    app = create_app(s)
    key = auth.create_key(app.state.matex.db, "portal", "city-a")
    with TestClient(app) as c:
        wait_ready(c, timeout=120)
        worker_pid = next(iter(app.state.matex.pool.pids().values()))
        import os

        assert worker_pid != os.getpid()  # OCR never runs in the request process
        r = c.post("/v1/extractions", headers={"Authorization": f"Bearer {key}"},
                   files={"file": ("id_front.jpg", data, "image/jpeg")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "done" and body["engine"] == "rapidocr"
        fronts = [d for d in body["documents"] if d["type"] == "id_card_front"]
        assert fronts, body
        f = fronts[0]["fields"]
        assert f["id_number"]["value"] == truth["id_number"]
        assert "checksum_ok" in f["id_number"]["checks"]
        x0, y0, x1, y1 = f["id_number"]["bbox"]
        assert 0 <= x0 < x1 and 0 <= y0 < y1
        # the page image the boxes refer to, and the field crop
        assert c.get(f"/v1/extractions/{body['id']}/pages/1", headers={"X-API-Key": key}).status_code == 200
        crop = c.get(f"/v1/extractions/{body['id']}/documents/{body['documents'].index(fronts[0])}/fields/id_number/crop",
                     headers={"X-API-Key": key})
        assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
