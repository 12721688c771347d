"""Batch building blocks without OCR: input listing and keys, the manifest + JSONL exactly-once
protocol (reconcile after a crash), CSV export and the summary."""
from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest

from batch.sources import InputError, iter_items, plan_roots
from batch.store import RESULTS, BatchLocked, Store, iter_lines, verify
from batch.worker import dumps, error_result, summarize


def _res(key, types=("id_card_front",), review=False, pages=1):
    docs = [
        {"type": t, "page": 1, "region": None, "confidence": 0.9, "needs_review": review, "warnings": [],
         "fields": {"id_number": {"value": "11010519491231002X", "confidence": 0.99, "bbox": None, "page": 1, "raw": "", "checks": []}},
         "crosscheck": {"status": "skipped", "fields": {}}}
        for t in types
    ]
    return {"source": key, "sha256": "ab" * 32, "pages": pages, "documents": docs, "errors": []}


def _finish(store, key, res=None, run_id=1):
    res = res or _res(key)
    store.finish(key, path="/x/" + key, member=None, size=10, sha256=key * 2, status=summarize(res)["status"],
                 line=dumps(res), stats=summarize(res), run_id=run_id)


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_keys_walk_order_zip_members_and_listing_errors(tmp_path):
    root = tmp_path / "scans"
    (root / "b").mkdir(parents=True)
    (root / "a.png").write_bytes(b"x")
    (root / "b" / "c.jpg").write_bytes(b"y")
    (root / ".hidden").write_bytes(b"z")
    with zipfile.ZipFile(root / "box.zip", "w") as zf:
        zf.writestr("p1.png", b"1")
        zf.writestr("sub/p2.png", b"2")
        zf.writestr("__MACOSX/._p1.png", b"junk")
        zf.writestr("p1.png", b"again")  # a zip may repeat a name
    (root / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    single = tmp_path / "other" / "x.tif"
    single.parent.mkdir()
    single.write_bytes(b"t")
    out = root / "out"  # an output folder inside an input folder is never read as input
    out.mkdir()
    (out / "results.jsonl").write_text("{}\n")
    items, data = [], {}
    for it in iter_items(plan_roots([str(root), str(single)]), exclude=[str(out)]):
        items.append(it)  # a member's bytes are read before the next item is taken
        data[it.key] = None if it.error else it.read()
    keys = [i.key for i in items]
    assert keys == ["scans/a.png", "scans/b/c.jpg", "scans/box.zip!p1.png", "scans/box.zip!sub/p2.png",
                    "scans/box.zip!p1.png#2", "scans/broken.zip", "x.tif"]
    by = {i.key: i for i in items}
    assert data["scans/box.zip!sub/p2.png"] == b"2" and data["scans/box.zip!p1.png#2"] == b"again"
    assert by["scans/broken.zip"].error[0] == "corrupt_archive"
    with pytest.raises(InputError):
        plan_roots([str(root), str(tmp_path / "missing")])
    (tmp_path / "elsewhere" / "scans").mkdir(parents=True)
    with pytest.raises(InputError, match="same name"):
        plan_roots([str(root), str(tmp_path / "elsewhere" / "scans")])


def test_commit_then_crash_before_checkpoint_is_reconciled(tmp_path):
    s = Store(tmp_path, checkpoint_every=3600, checkpoint_lines=10_000)  # never checkpoints by itself
    s.reconcile()
    _finish(s, "a")
    s.checkpoint(force=True)
    _finish(s, "b")
    _finish(s, "c")
    # crash: b and c committed in the manifest, their lines maybe written, not fsync'ed or recorded;
    # the file also got a torn half line (killed mid-write)
    s._fh.flush()
    with open(tmp_path / RESULTS, "ab") as fh:
        fh.write(b'{"source": "d", "sha2')
    s._fh = None  # no close(): as after kill -9
    s.con.close()
    s._lock.close()
    rep = verify(tmp_path)
    assert not rep["ok"] and rep["torn_last_line"] and set(rep["awaiting_reconcile"]) == {"b", "c"}

    s2 = Store(tmp_path)
    fixed = s2.reconcile()
    assert fixed["lines_rewritten"] == 2 and fixed["truncated_bytes"] > 0
    s2.close()
    rep = verify(tmp_path)
    assert rep["ok"], rep
    assert [r["source"] for r in iter_lines(tmp_path)] == ["a", "b", "c"]


def test_finishing_twice_keeps_one_line_and_lock_is_exclusive(tmp_path):
    s = Store(tmp_path)
    s.reconcile()
    _finish(s, "a")
    _finish(s, "a")  # a second coordinator bug must not duplicate a line
    with pytest.raises(BatchLocked):
        Store(tmp_path)
    s.close()
    assert verify(tmp_path)["lines"] == 1
    con = sqlite3.connect(tmp_path / "manifest.sqlite")
    assert con.execute("SELECT COUNT(*) FROM inputs").fetchone()[0] == 1


def test_line_of_reads_back_a_checkpointed_line(tmp_path):
    s = Store(tmp_path)
    s.reconcile()
    _finish(s, "a")
    _finish(s, "b")
    s.checkpoint(force=True)
    assert json.loads(s.line_of("b"))["source"] == "b"
    assert json.loads(s.line_of("a"))["source"] == "a"
    s.close()


def test_csv_and_summary_from_results(tmp_path):
    from batch.export import write_csvs
    from batch.report import write_summary

    s = Store(tmp_path)
    run = s.begin_run("local", 2, ["x"], {})
    s.reconcile()
    _finish(s, "one.png", _res("one.png", ("id_card_front", "id_card_back"), review=True), run)
    _finish(s, "two.png", _res("two.png", ("=cmd",)), run)
    bad = error_result("bad.pdf", "", "pdf_encrypted", "the PDF is password-protected")
    _finish(s, "bad.pdf", bad, run)
    s.end_run(run, "finished", {"processed": 3})
    s.close()
    rows = write_csvs(tmp_path)
    assert rows["id_card_front"] == 1 and rows["errors"] == 1
    text = (tmp_path / "csv" / "id_card_front.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("source,sha256,page,document_index")
    assert "11010519491231002X" in text
    masked = write_csvs(tmp_path, mask_ids=True)
    assert masked == rows
    assert "110105********002X" in (tmp_path / "csv" / "id_card_front.csv").read_text(encoding="utf-8-sig")
    summ = write_summary(tmp_path)
    assert summ["inputs"] == 3 and summ["bad_inputs"] == 1 and summ["documents"] == 3
    assert summ["bad_inputs_by_code"] == {"pdf_encrypted": 1}
    assert summ["review_rate"] == pytest.approx(2 / 3, abs=1e-3)
    html = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert 'id="n-inputs">3<' in html and 'id="n-bad-inputs">1<' in html
    assert "<svg" in html and "<script" not in html and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_worker_that_dies_is_replaced_and_its_input_recorded(tmp_path, monkeypatch):
    """A worker process dying (as on a segfault) on one input: the pool is rebuilt, the inputs
    that were in flight are retried one at a time, the culprit is recorded as worker_crashed
    after --max-attempts, and the others are done normally."""
    from batch import BatchOptions, run_batch

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.txt", "crash.txt", "c.txt"):
        (src / name).write_text(f"not a scan: {name}\n")
    monkeypatch.setenv("MATEX_BATCH_FAULT_CRASH_ON", "crash.txt")
    s = run_batch([str(src)], tmp_path / "out", BatchOptions(workers=1, progress=False, max_attempts=2, reports=False))
    assert s.status == "finished" and s.worker_restarts >= 2
    res = {r["source"]: r for r in iter_lines(tmp_path / "out")}
    assert [e["code"] for e in res["in/crash.txt"]["errors"]] == ["worker_crashed"]
    assert [e["code"] for e in res["in/a.txt"]["errors"]] == ["unsupported_format"]
    assert [e["code"] for e in res["in/c.txt"]["errors"]] == ["unsupported_format"]
    assert verify(tmp_path / "out")["ok"]
