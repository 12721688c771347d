"""The reviewer workbench in real headless Chromium (Debian's, driven by Playwright).

Log in, open the riskiest document from the queue with the keyboard, see the page image with a
box per field coloured by confidence, correct a value with the keyboard, save (version 2),
approve (version 3); the API then shows who changed what, and the machine's version 1 is kept.
Screenshots go to artifacts/e2e/. Needs /usr/bin/chromium (scripts/install_browser.sh).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
                       reason="Debian's chromium is not installed: run scripts/install_browser.sh"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from api import auth
    from api.app import create_app
    from api.settings import Settings
    from api.testing import ServerThread, id_card

    d = tmp_path_factory.mktemp("web")
    # a strict review threshold: every real-OCR document goes to the queue
    s = Settings(data_dir=str(d), workers=1, engine="rapidocr", poll_s=0.2, sync_timeout_s=90, review_threshold=0.9999)
    app = create_app(s)
    db = app.state.matex.db
    keys = {"portal": auth.create_key(db, "portal", "city-a"), "reviewer": auth.create_key(db, "reviewer", "city-a", "Wang")}
    with ServerThread(app) as srv:
        with httpx.Client(base_url=srv.url, timeout=120) as http:
            ids = []
            for seed in (3, 4):
                data, truth = id_card(seed=seed)
                r = http.post("/v1/extractions", headers={"X-API-Key": keys["portal"]},
                              files={"file": (f"id_{seed}.jpg", data, "image/jpeg")})
                assert r.status_code == 200, r.text
                ids.append(r.json()["id"])
            yield srv, http, keys, ids


def test_review_in_headless_chromium(server):
    from playwright.sync_api import sync_playwright

    srv, http, keys, ids = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    exe = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto(f"{srv.url}/review")
            assert "/review/login" in page.url
            page.fill("#key", keys["reviewer"])
            page.screenshot(path=str(ARTIFACTS / "01-login.png"))
            page.click("#login-submit")
            page.wait_for_selector("#queue")
            rows = page.locator("tr.qrow")
            assert rows.count() == 2
            first_id = rows.nth(0).get_attribute("data-id")
            page.screenshot(path=str(ARTIFACTS / "02-queue.png"), full_page=True)

            page.keyboard.press("Enter")  # open the riskiest one
            page.wait_for_selector("#item")
            assert page.url.endswith(f"/review/{first_id}")
            page.wait_for_function("() => { const i = document.querySelector('.stage img'); "
                                   "return i && i.complete && i.naturalWidth > 0; }")
            result = http.get(f"/v1/extractions/{first_id}", headers={"X-API-Key": keys["reviewer"]}).json()
            doc_i, doc = next((i, d) for i, d in enumerate(result["documents"]) if d["type"] == "id_card_front")
            boxed = [n for n, f in doc["fields"].items() if f.get("bbox")]
            boxes = page.locator(f'svg.overlay g.box[data-key^="{doc_i}:"]')
            assert boxes.count() == len(boxed) >= 5
            for n, f in doc["fields"].items():  # coloured by confidence
                want = "hi" if f["confidence"] >= 0.9 else ("mid" if f["confidence"] >= 0.7 else "lo")
                cls = page.locator(f'svg.overlay g.box[data-key="{doc_i}:{n}"]').get_attribute("class")
                assert want in cls.split(), (n, f["confidence"], cls)
            page.screenshot(path=str(ARTIFACTS / "03-document.png"), full_page=True)

            # keyboard: j moves through the fields until `name`, type a correction, Esc, s saves
            names = page.eval_on_selector_all("input.fv", "els => els.map(e => e.dataset.key)")
            target = names.index(f"{doc_i}:name")
            for _ in range(target + 1):
                page.keyboard.press("j")
            assert page.evaluate("document.activeElement.dataset.key") == f"{doc_i}:name"
            assert "focus" in page.locator(f'svg.overlay g.box[data-key="{doc_i}:name"]').get_attribute("class")
            old_name = doc["fields"]["name"]["value"]
            page.keyboard.press("Control+A")
            page.keyboard.type("王小明")
            page.keyboard.press("Escape")
            page.screenshot(path=str(ARTIFACTS / "04-edited.png"), full_page=True)
            page.keyboard.press("s")
            page.wait_for_function("() => document.querySelector('#version') && "
                                   "document.querySelector('#version').textContent === '2'")
            assert page.locator("#versions li").count() == 2
            assert page.input_value(f'input.fv[data-key="{doc_i}:name"]') == "王小明"
            page.screenshot(path=str(ARTIFACTS / "05-saved.png"), full_page=True)

            page.keyboard.press("a")  # approve, then on to the next in the queue
            page.wait_for_url(lambda u: first_id not in u)
            page.wait_for_load_state()
            page.screenshot(path=str(ARTIFACTS / "06-after-approve.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()

    h = {"X-API-Key": keys["reviewer"]}
    cur = http.get(f"/v1/extractions/{first_id}", headers=h).json()
    assert cur["version"] == 3 and cur["review_status"] == "approved"
    f = cur["documents"][doc_i]["fields"]["name"]
    assert f["value"] == "王小明" and f["machine_value"] == old_name and f["corrected_by"].startswith("reviewer:")
    vs = http.get(f"/v1/extractions/{first_id}/versions", headers=h).json()
    assert [v["kind"] for v in vs] == ["machine", "correction", "approve"]
    assert all(v["actor"].startswith("reviewer:") for v in vs[1:])
    v1 = http.get(f"/v1/extractions/{first_id}", headers=h, params={"version": 1}).json()
    assert v1["documents"][doc_i]["fields"]["name"]["value"] == old_name
    q = http.get("/v1/review/queue", headers=h).json()["items"]
    assert [i["id"] for i in q] == [i for i in ids if i != first_id]
