"""`matex batch` end to end with real OCR on a few generated pages: a folder, a zip archive and a
multi-page TIFF; duplicates and bad files; rerun; kill -9 then resume; the Ray executor on a
local instance gives the same results as the local process pool."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import cv2
import pytest

from batch import BatchOptions, run_batch, verify
from batch.backlog import locked_pdf, tiff_of
from batch.store import iter_lines

ROOT = Path(__file__).resolve().parents[1]


def _png(img) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="module")
def pages():
    from samples.generate import generate

    f0 = generate("id_front_clean", 11, 0)
    f1 = generate("id_front_clean", 11, 1)
    b0 = generate("id_back_clean", 11, 0)
    return {
        "front0": (_png(f0.image), f0.truth["documents"][0]["fields"]["id_number"]["value"]),
        "front1": (_png(f1.image), f1.truth["documents"][0]["fields"]["id_number"]["value"]),
        "back0": (_png(b0.image), None),
        "back0_img": b0.image,
    }


def make_claims(base: Path, pages) -> Path:
    """claims/: 8 inputs (4 pages to OCR), 2 duplicates, 3 bad files (one of them has 1 unreadable page)."""
    root = base / "claims"
    (root / "a").mkdir(parents=True)
    (root / "bad").mkdir()
    (root / "a" / "front.png").write_bytes(pages["front0"][0])
    (root / "a" / "front_rescan.png").write_bytes(pages["front0"][0])  # the same file scanned twice
    with zipfile.ZipFile(root / "box.zip", "w") as zf:
        zf.writestr("back.png", pages["back0"][0])
        zf.writestr("copies/front_again.png", pages["front0"][0])
    (root / "multi.tif").write_bytes(tiff_of([pages["front1"][0], pages["back0"][0]]))
    (root / "bad" / "empty.jpg").write_bytes(b"")
    (root / "bad" / "locked.pdf").write_bytes(locked_pdf())
    (root / "bad" / "truncated.png").write_bytes(pages["back0"][0][:300])
    return root


def lines_by_source(out: Path) -> dict[str, dict]:
    res = {}
    for r in iter_lines(out):
        assert r["source"] not in res, f"duplicated line for {r['source']}"
        res[r["source"]] = r
    return res


def fields_of(r: dict) -> list[tuple]:
    return sorted(
        (d["page"], d["type"], tuple(sorted((k, json.dumps(f["value"], ensure_ascii=False)) for k, f in d["fields"].items())))
        for d in r["documents"]
    )


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, pages):
    base = tmp_path_factory.mktemp("batch")
    claims = make_claims(base, pages)
    out = base / "out"
    summary = run_batch([str(claims)], out, BatchOptions(workers=2, progress=False))
    return claims, out, summary


def test_batch_over_folder_zip_and_multipage_tiff(local_run, pages):
    claims, out, summary = local_run
    assert summary.status == "finished"
    rep = verify(out)
    assert rep["ok"], rep
    res = lines_by_source(out)
    assert len(res) == 8 == rep["finished"]
    # real OCR: the extracted ID number is the generated one
    front = res["claims/a/front.png"] if "duplicate_of" not in res["claims/a/front.png"] else res["claims/box.zip!copies/front_again.png"]
    ids = [d["fields"]["id_number"]["value"] for d in front["documents"] if d["type"] == "id_card_front"]
    assert ids == [pages["front0"][1]]
    tif = res["claims/multi.tif"]
    assert tif["pages"] == 2
    assert {d["page"] for d in tif["documents"]} == {1, 2}
    assert [d["fields"]["id_number"]["value"] for d in tif["documents"] if d["type"] == "id_card_front"] == [pages["front1"][1]]
    back = res["claims/box.zip!back.png"]
    assert [d["type"] for d in back["documents"]] == ["id_card_back"]
    # every line is a contract object
    for r in res.values():
        assert {"source", "sha256", "pages", "documents", "errors"} <= set(r)


def test_duplicates_recognised(local_run):
    claims, out, _ = local_run
    res = lines_by_source(out)
    same = ["claims/a/front.png", "claims/a/front_rescan.png", "claims/box.zip!copies/front_again.png"]
    firsts = [k for k in same if "duplicate_of" not in res[k]]
    assert firsts == ["claims/a/front.png"]  # the first in walk order is the original
    for k in same[1:]:
        assert res[k]["duplicate_of"] == "claims/a/front.png"
        assert res[k]["sha256"] == res["claims/a/front.png"]["sha256"]
        assert fields_of(res[k]) == fields_of(res["claims/a/front.png"])


def test_bad_inputs_recorded_and_batch_goes_on(local_run):
    import sqlite3

    claims, out, summary = local_run
    con = sqlite3.connect(out / "manifest.sqlite")
    rows = {k: (st, json.loads(codes)) for k, st, codes in con.execute("SELECT key, status, error_codes FROM inputs")}
    assert rows["claims/bad/empty.jpg"] == ("error", ["empty_file"])
    assert rows["claims/bad/locked.pdf"] == ("error", ["pdf_encrypted"])
    assert rows["claims/bad/truncated.png"][0] == "error"
    assert sum(1 for st, _ in rows.values() if st == "done") == 3
    assert summary.errors == 3 and summary.duplicates == 2 and summary.pages == 5
    res = lines_by_source(out)
    assert res["claims/bad/locked.pdf"]["documents"] == [] and res["claims/bad/locked.pdf"]["pages"] == 0


def test_csv_per_type_and_html_summary(local_run, pages):
    claims, out, _ = local_run
    csvs = {p.name for p in (out / "csv").glob("*.csv")}
    assert {"id_card_front.csv", "id_card_back.csv", "errors.csv"} <= csvs
    front = (out / "csv" / "id_card_front.csv").read_text(encoding="utf-8-sig")
    assert pages["front0"][1] in front and pages["front1"][1] in front
    errs = (out / "csv" / "errors.csv").read_text(encoding="utf-8-sig")
    assert "pdf_encrypted" in errs and "empty_file" in errs
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (s["inputs"], s["bad_inputs"], s["duplicates"], s["pages"]) == (8, 3, 2, 5)
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert 'id="n-inputs">8<' in html and 'id="n-bad-inputs">3<' in html and 'id="n-duplicates">2<' in html
    assert f'id="type-id_card_front">{s["documents_per_type"]["id_card_front"]}<' in html
    assert "<svg" in html and "<script" not in html


def test_rerun_skips_everything(local_run):
    claims, out, _ = local_run
    before = (out / "results.jsonl").read_bytes()
    t0 = time.monotonic()
    again = run_batch([str(claims)], out, BatchOptions(workers=2, progress=False))
    assert (again.processed, again.skipped, again.duplicates, again.errors) == (0, 8, 0, 0)
    assert (out / "results.jsonl").read_bytes() == before
    assert time.monotonic() - t0 < 20  # no worker is started when nothing is left to do


def test_kill_9_midway_then_resume_gives_one_line_per_input(tmp_path, pages):
    import numpy as np

    src = tmp_path / "scans"
    src.mkdir()
    img = pages["back0_img"]
    n = 4
    for i in range(n):  # distinct files (one pixel differs), quick to OCR
        im = img.copy()
        im[0, i] = np.uint8(i)
        (src / f"back_{i}.png").write_bytes(_png(im))
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "matex.cli", "batch", str(src), "--out", str(out), "--workers", "1", "--no-progress"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    jsonl = out / "results.jsonl"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if jsonl.exists() and jsonl.read_bytes().count(b"\n") >= 1:
                break
            if proc.poll() is not None:
                pytest.fail(f"the batch ended before it was killed: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        else:
            pytest.fail("no result within 90 s")
        os.kill(proc.pid, signal.SIGKILL)  # kill -9 the coordinator, midway
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    done_before = jsonl.read_bytes().count(b"\n")
    assert 1 <= done_before < n
    with open(jsonl, "ab") as fh:  # and as if it had died in the middle of writing a line
        fh.write(b'{"source": "scans/back_4.png", "sha256": "')
    resumed = run_batch([str(src)], out, BatchOptions(workers=1, progress=False))
    assert resumed.status == "finished"
    assert resumed.skipped >= 1 and resumed.skipped + resumed.processed == n
    rep = verify(out)
    assert rep["ok"], rep
    res = lines_by_source(out)
    assert sorted(res) == [f"scans/back_{i}.png" for i in range(n)]
    assert all(r["documents"] and r["documents"][0]["type"] == "id_card_back" for r in res.values())


def test_ray_executor_gives_the_same_results_as_local(tmp_path, local_run, pages):
    ray = pytest.importorskip("ray")
    claims, local_out, _ = local_run
    sub = tmp_path / "claims"  # the same root name, so the same keys; a subset of the inputs
    sub.mkdir()
    (sub / "a").mkdir()
    (sub / "a" / "front.png").write_bytes((claims / "a" / "front.png").read_bytes())
    (sub / "box.zip").write_bytes((claims / "box.zip").read_bytes())
    (sub / "bad").mkdir()
    (sub / "bad" / "empty.jpg").write_bytes(b"")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = run_batch([str(sub)], tmp_path / "out", BatchOptions(executor="ray", workers=2, progress=False))
    finally:
        ray.shutdown()
    assert summary.status == "finished" and "ActorPool of 2" in summary.executor
    assert verify(tmp_path / "out")["ok"]
    ray_res = lines_by_source(tmp_path / "out")
    local_res = lines_by_source(local_out)
    assert set(ray_res) == {"claims/a/front.png", "claims/box.zip!back.png", "claims/box.zip!copies/front_again.png",
                            "claims/bad/empty.jpg"}
    for k, r in ray_res.items():
        assert fields_of(r) == fields_of(local_res[k]), k
        assert r["errors"] == local_res[k]["errors"]
        assert r.get("duplicate_of") == local_res[k].get("duplicate_of")
