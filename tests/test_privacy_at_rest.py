"""Personal data at rest: encrypted uploads and page images (envelope, tampering, wrong keys,
rotation, legacy plaintext), retention purge (rows, blobs, cache, shared blobs, dry run, audit),
redacted batch export, masked log records. Fake engine, no worker processes: light."""
from __future__ import annotations

import base64
import io
import json
import logging
import os
import re
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from api import audit, crypto, images, jobs
from api.blobs import BlobCorrupt, BlobStore, rotate_blobs
from api.db import Database
from api.settings import Settings
from api.testing import png_bytes
from api.worker import FakePipeline, process_one

pytestmark = pytest.mark.timeout(120)

ID = "110105194912310021"
CARD = "6222021234567890123"
NAME = "欧阳娜娜"


def _key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def _ring(*specs: str) -> crypto.KeyRing:
    return crypto.KeyRing([k for s in specs for k in crypto.parse_keys(s)], "test")


def png_with_text(seed: int = 0) -> bytes:
    """A PNG whose bytes carry an ID number and a card number in clear (a tEXt chunk)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    im = Image.open(io.BytesIO(png_bytes(seed=seed)))
    info = PngInfo()
    info.add_text("Comment", f"{NAME} {ID} {CARD}")
    buf = io.BytesIO()
    im.save(buf, format="PNG", pnginfo=info)
    data = buf.getvalue()
    assert ID.encode() in data
    return data


def _files(root: Path, skip_db: bool = True):
    for p in root.rglob("*"):
        if p.is_file() and not (skip_db and p.name.startswith("matex.sqlite3")):
            yield p


@pytest.fixture(autouse=True)
def _fresh_rings():
    crypto.forget_rings()
    yield
    crypto.forget_rings()


# ------------------------------------------------------------------ the service's files
def test_upload_and_page_images_are_not_plaintext_on_disk(tmp_path):
    from fastapi.testclient import TestClient

    from api import auth
    from api.app import create_app

    s = Settings(data_dir=str(tmp_path / "d"), workers=0, engine="fake", sync_max_bytes=0, rate_per_s=100,
                 rate_burst=100)
    app = create_app(s)
    st = app.state.matex
    key = auth.create_key(st.db, "portal", "city-a", "p")
    data = png_with_text()
    with TestClient(app) as client:
        h = {"Authorization": f"Bearer {key}"}
        r = client.post("/v1/extractions", headers=h, files={"file": ("card.png", data, "image/png")})
        assert r.status_code == 202, r.text
        eid = r.json()["id"]
        assert process_one(st.db, st.blobs, FakePipeline(), None, "W", s)["state"] == "done"
        assert client.get(f"/v1/extractions/{eid}", headers=h).status_code == 200
        page = client.get(f"/v1/extractions/{eid}/pages/1", headers=h)
        assert page.status_code == 200 and page.content[:2] == b"\xff\xd8"  # served as JPEG
        crop = client.get(f"/v1/extractions/{eid}/documents/0/fields/name/crop", headers=h)
        assert crop.status_code == 200
    sha = r.json()["sha256"]
    # the generated key: next to the data, owner-only
    kf = Path(s.data_dir) / "keys" / "data.key"
    assert kf.exists() and kf.stat().st_mode & 0o077 == 0
    assert st.blobs.get(sha) == data
    blob = st.blobs.path(sha).read_bytes()
    assert blob[:4] == crypto.MAGIC and blob != data
    cached = list((Path(s.cache_dir)).rglob("*.jpg"))
    assert cached, "the page request caches the rendered page"
    for f in cached:
        assert f.read_bytes()[:4] == crypto.MAGIC
    needles = [data, data[:64], data[-64:], ID.encode(), CARD.encode(), NAME.encode(), page.content[:64]]
    for f in _files(Path(s.data_dir)):
        content = f.read_bytes()
        for n in needles:
            assert n not in content, f"{f} holds personal data in clear"


# ------------------------------------------------------------------ envelope
def test_round_trip_and_envelope_format():
    ring = _ring(_key("k1"))
    ctx = b"blob:" + b"a" * 64
    e1, e2 = ring.encrypt(b"secret bytes", ctx), ring.encrypt(b"secret bytes", ctx)
    assert e1 != e2  # a random nonce per file
    assert ring.decrypt(e1, ctx) == ring.decrypt(e2, ctx) == b"secret bytes"
    kid, header, nonce, ct = crypto.parse(e1)
    assert (kid, header, len(nonce)) == ("k1", crypto.MAGIC + bytes([1, 2]) + b"k1", 12)
    assert len(e1) == len(b"secret bytes") + crypto.overhead("k1")
    assert crypto.key_id(e1[:40]) == "k1" and crypto.key_id(b"\x89PNG....") is None
    with pytest.raises(crypto.NotEncrypted):
        crypto.parse(b"plain")


def test_tampered_or_swapped_blob_is_refused(tmp_path):
    store = BlobStore(tmp_path / "blobs", _ring(_key("k1")))
    a, b = store.put(png_bytes(seed=1)), store.put(png_bytes(seed=2))
    pa, pb = store.path(a), store.path(b)
    raw = bytearray(pa.read_bytes())
    raw[-20] ^= 0x01
    pa.write_bytes(bytes(raw))
    with pytest.raises(crypto.DecryptionFailed, match="modified or moved"):
        store.get(a)
    pa.write_bytes(pb.read_bytes())  # B's ciphertext under A's address: bound to B's sha256
    with pytest.raises(crypto.DecryptionFailed):
        store.get(a)
    forged = bytearray(pb.read_bytes())
    forged[6:8] = b"k9"  # another key id: header is authenticated (and k9 is unknown)
    pb.write_bytes(bytes(forged))
    with pytest.raises(crypto.UnknownKey):
        store.get(b)


def test_wrong_key_is_refused_with_a_clear_error(tmp_path):
    s1 = BlobStore(tmp_path / "blobs", _ring(_key("k1")))
    sha = s1.put(png_bytes(seed=3))
    with pytest.raises(crypto.UnknownKey) as e:
        BlobStore(tmp_path / "blobs", _ring(_key("k2"))).get(sha)
    assert "'k1'" in str(e.value) and "k2" in str(e.value) and "MATEX_DATA_KEYS" in str(e.value)
    with pytest.raises(crypto.DecryptionFailed) as e2:  # same id, other key material
        BlobStore(tmp_path / "blobs", _ring(_key("k1"))).get(sha)
    assert "'k1'" in str(e2.value)
    assert isinstance(e.value, ValueError)  # the worker's "upload unreadable" path catches it


def test_key_configuration(tmp_path, monkeypatch):
    k2, k1 = _key("k2"), _key("k1")
    s = Settings.from_env({"MATEX_DATA_KEYS": f"{k2},{k1}", "MATEX_DATA_DIR": str(tmp_path), "MATEX_RETENTION_DAYS": "30"})
    assert s.retention_days == 30 and "k2:" not in repr(s)  # never in a repr
    ring = crypto.keyring_for(s)
    assert [k.kid for k in ring.keys] == ["k2", "k1"] and ring.current.kid == "k2"
    assert not (tmp_path / "keys").exists()  # configured: nothing generated
    kf = tmp_path / "ring.keys"
    kf.write_text(f"# the ring\n{k1}\n")
    kf.chmod(0o600)
    assert crypto.build_keyring(Settings(data_dir=str(tmp_path), data_key_file=str(kf))).current.kid == "k1"
    for bad in ("k1:notbase64!", "k1:" + base64.b64encode(b"short").decode(), f"{k1},k1:{_key('x')[2:]}"):
        with pytest.raises(crypto.KeyConfigError):
            crypto.build_keyring(Settings(data_dir=str(tmp_path), data_keys=bad))
    with pytest.raises(crypto.KeyConfigError, match="refusing to start"):
        crypto.build_keyring(Settings(data_dir=str(tmp_path / "p"), data_key_required=True))
    plain = crypto.build_keyring(Settings(data_dir=str(tmp_path / "p"), allow_plaintext=True))
    assert not plain.encrypting
    sha = BlobStore(tmp_path / "p" / "blobs", plain).put(b"dev data")
    assert (tmp_path / "p" / "blobs" / sha[:2] / f"{sha[2:]}.bin").read_bytes() == b"dev data"
    # the generated key stays readable once keys are configured (decrypt-only, last)
    auto = crypto.build_keyring(Settings(data_dir=str(tmp_path / "a")))
    cfg = crypto.build_keyring(Settings(data_dir=str(tmp_path / "a"), data_keys=k2))
    assert [k.kid for k in cfg.keys] == ["k2", auto.current.kid]


# ------------------------------------------------------------------ legacy and rotation
def test_plaintext_legacy_blob_is_still_readable(tmp_path):
    store = BlobStore(tmp_path / "blobs", _ring(_key("k1")))
    data = png_bytes(seed=4)
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    store.path(sha).parent.mkdir(parents=True)
    store.path(sha).write_bytes(data)  # written before encryption
    assert store.get(sha) == data and store.key_id(sha) is None
    assert store.put(data) == sha and store.key_id(sha) is None  # a duplicate upload does not rewrite it
    store.path(sha).write_bytes(data[:-1] + b"\x00")
    with pytest.raises(BlobCorrupt):
        store.get(sha)


def test_rotation_reencrypts_everything_and_the_old_key_alone_then_fails(tmp_path, monkeypatch, capsys):
    from matex.cli import main

    d = tmp_path / "data"
    k1, k2 = _key("k1"), _key("k2")
    old = Settings(data_dir=str(d), data_keys=k1)
    store = BlobStore.for_settings(old)
    shas = [store.put(png_bytes(seed=10 + i)) for i in range(3)]
    legacy = png_bytes(seed=20)
    import hashlib

    lsha = hashlib.sha256(legacy).hexdigest()
    store.path(lsha).parent.mkdir(parents=True, exist_ok=True)
    store.path(lsha).write_bytes(legacy)
    for sha in shas[:2]:
        images.page_jpeg(store.get(sha), sha, 1, old.cache_dir, keyring=store.keyring)
    stale = store.path(shas[0]).parent / ".up-stale"
    stale.write_bytes(b"leftover of a crash")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))

    monkeypatch.setenv("MATEX_DATA_KEYS", f"{k2},{k1}")
    assert main(["keys", "rotate", "--data-dir", str(d), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["current_key"] == "k2"
    assert rep["uploads"]["reencrypted"] == 3 and rep["uploads"]["encrypted"] == 1 and rep["uploads"]["failed"] == []
    assert rep["uploads"]["temp_removed"] == 1 and not stale.exists()
    assert rep["page_images"]["reencrypted"] == 2
    # idempotent: a second run only looks
    assert main(["keys", "rotate", "--data-dir", str(d), "--json"]) == 0
    rep2 = json.loads(capsys.readouterr().out)
    assert rep2["uploads"]["current"] == 4 and rep2["uploads"]["reencrypted"] == rep2["uploads"]["encrypted"] == 0
    assert main(["keys", "status", "--data-dir", str(d), "--verify"]) == 0
    assert "k2: 4" in capsys.readouterr().out

    new = BlobStore(d / "blobs", _ring(k2))  # the new key alone reads everything
    assert new.get(lsha) == legacy and all(new.key_id(s) == "k2" for s in shas + [lsha])
    for f in (d / "cache").rglob("*.jpg"):
        assert crypto.key_id(f.read_bytes()) == "k2"
    sha0 = shas[0]
    jpg = images.page_jpeg(b"", sha0, 1, d / "cache", keyring=new.keyring)  # from the cache: no rendering
    assert jpg[:2] == b"\xff\xd8"
    only_old = BlobStore(d / "blobs", _ring(k1))
    with pytest.raises(crypto.UnknownKey, match="'k2'"):
        only_old.get(sha0)
    monkeypatch.setenv("MATEX_DATA_KEYS", k1)
    assert main(["keys", "status", "--data-dir", str(d), "--verify"]) == 1
    assert "NOT IN THE RING" in capsys.readouterr().out


def test_rotation_resumes_after_an_interruption(tmp_path, monkeypatch):
    k1, k2 = _key("k1"), _key("k2")
    store = BlobStore(tmp_path / "blobs", _ring(k1))
    shas = [store.put(png_bytes(seed=30 + i)) for i in range(4)]
    ring = _ring(k2, k1)
    calls = {"n": 0}
    real = crypto.write_atomic

    def dies_on_third(path, data, prefix=".tmp-", durable=True):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # killed in the middle
        real(path, data, prefix, durable)

    monkeypatch.setattr(crypto, "write_atomic", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        rotate_blobs(BlobStore(tmp_path / "blobs", ring))
    monkeypatch.setattr(crypto, "write_atomic", real)
    assert sorted(store.key_id(s) for s in shas) == ["k1", "k1", "k2", "k2"]  # every file whole: old or new
    rep = rotate_blobs(BlobStore(tmp_path / "blobs", ring))
    assert (rep.current, rep.reencrypted, rep.failed) == (2, 2, [])
    assert all(BlobStore(tmp_path / "blobs", _ring(k2)).get(s) == png_bytes(seed=30 + i) for i, s in enumerate(shas))


# ------------------------------------------------------------------ retention
def _service(tmp_path):
    s = Settings(data_dir=str(tmp_path / "svc"), workers=0, engine="fake")
    db = Database(s.database_url, s.table_prefix, s.db_schema)
    return s, db, BlobStore.for_settings(s)


def _upload(s, db, blobs, data: bytes, tenant: str, age_days: float):
    sha = blobs.put(data)
    sub = jobs.submit(db, tenant=tenant, sha256=sha, source=f"{tenant}.png", size=len(data), kind="png",
                      actor="test", key_id=None)
    assert process_one(db, blobs, FakePipeline(), None, "W", s)["state"] == "done"
    images.page_jpeg(data, sha, 1, s.cache_dir)
    eid = sub.extraction["id"]
    if age_days:
        with db.write() as c:
            c.execute(db.t.extraction.update().where(db.t.extraction.c.id == eid)
                      .values(created_at=time.time() - age_days * 86400))
    return eid, sha


def _counts(db):
    t = db.t
    with db.read() as c:
        return {name: int(c.execute(sa.select(sa.func.count()).select_from(getattr(t, name))).scalar())
                for name in ("extraction", "job", "result_version", "audit_log")}


def test_purge_removes_rows_blobs_and_cache_keeps_shared_blobs_and_is_audited(tmp_path, capsys):
    from matex.cli import main
    from matex.commands.purge import purge

    s, db, blobs = _service(tmp_path)
    shared = png_bytes(seed=41)
    old_a, sha_a = _upload(s, db, blobs, png_bytes(seed=40), "city-a", 400)
    old_b, sha_b = _upload(s, db, blobs, shared, "city-a", 400)
    new_c, sha_c = _upload(s, db, blobs, shared, "city-b", 0)  # the same bytes, recent, another tenant
    new_d, sha_d = _upload(s, db, blobs, png_bytes(seed=42), "city-a", 0)
    assert sha_b == sha_c
    before = _counts(db)
    files_before = sorted(str(p) for p in _files(Path(s.data_dir)))

    # dry run (the CLI): reports, changes nothing
    assert main(["purge", "--data-dir", s.data_dir, "--older-than", "365", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and re.search(r"extractions +2 would be removed", out), out
    assert re.search(r"kept, recent +1 ", out), out  # a's blob was written just now: within the default grace
    assert _counts(db) == before and sorted(str(p) for p in _files(Path(s.data_dir))) == files_before

    rep = purge(s, 365, grace_s=0)
    assert (rep.extractions, rep.jobs, rep.result_versions) == (2, 2, 2)
    assert (rep.uploads_deleted, rep.uploads_shared, rep.page_images) == (1, 1, 1)
    assert rep.tenants == {"city-a": 2} and len(rep.audit_seqs) == 1
    after = _counts(db)
    assert (after["extraction"], after["job"], after["result_version"]) == (2, 2, 2)
    assert after["audit_log"] == before["audit_log"] + 1
    assert jobs.get_extraction(db, old_a, None) is None and jobs.get_extraction(db, new_c, None) is not None
    assert not blobs.exists(sha_a) and not images.sha_dir(s.cache_dir, sha_a).exists()
    assert blobs.get(sha_b) == shared and images.sha_dir(s.cache_dir, sha_b).exists()  # still used by C
    assert blobs.exists(sha_d)
    with db.read() as c:
        e = c.execute(sa.select(db.t.audit_log).where(db.t.audit_log.c.action == "purge")).mappings().one()
    details = json.loads(e["details"])
    assert details["extractions"] == 2 and details["cutoff"] == rep.cutoff and details["uploads_unreferenced"] == 1
    assert "张三" not in e["details"] and sha_a not in e["details"]
    v = audit.verify(db)
    assert v.ok, v.problems
    # nothing left that is due: a second purge removes nothing and appends no entry
    again = purge(s, 365, grace_s=0)
    assert again.extractions == 0 and again.audit_seqs == [] and _counts(db)["audit_log"] == after["audit_log"]
    db.dispose()


def test_purge_policy_from_settings(tmp_path, capsys, monkeypatch):
    from matex.cli import main

    s, db, blobs = _service(tmp_path)
    _upload(s, db, blobs, png_bytes(seed=50), "t", 40)
    monkeypatch.setenv("MATEX_RETENTION_DAYS", "0")
    assert main(["purge", "--data-dir", s.data_dir]) == 0
    assert _counts(db)["extraction"] == 1
    monkeypatch.setenv("MATEX_RETENTION_DAYS", "30")
    assert main(["purge", "--data-dir", s.data_dir, "--grace-s", "0"]) == 0
    assert re.search(r"extractions +1 removed", capsys.readouterr().out)
    assert _counts(db)["extraction"] == 0 and not list((Path(s.blob_dir)).rglob("*.bin"))
    db.dispose()


# ------------------------------------------------------------------ redacted batch output
def _rich_result(source: str, sha: str) -> dict:
    return {
        "source": source, "sha256": sha, "pages": 1,
        "documents": [
            {"type": "id_card_front", "page": 1, "confidence": 0.99, "needs_review": False,
             "warnings": [f"name {NAME} checked"],
             "fields": {"name": {"value": NAME, "confidence": 0.99, "raw": f"姓名{NAME}", "checks": []},
                        "id_number": {"value": ID, "confidence": 0.99, "raw": f"公民身份号码{ID}", "checks": ["checksum_ok"]},
                        "address": {"value": "北京市朝阳区建国路1号", "confidence": 0.9, "raw": "北京市朝阳区建国路1号"}},
             "lines": [{"text": f"姓名 {NAME}", "confidence": 0.9, "bbox": [0, 0, 1, 1]},
                       {"text": f"公民身份号码 {ID}", "confidence": 0.9, "bbox": [0, 0, 1, 1]}],
             "crosscheck": {"status": "skipped", "fields": {}}},
            {"type": "bank_card", "page": 1, "confidence": 0.9, "needs_review": False, "warnings": [],
             "fields": {"bank": {"value": "中国银行", "confidence": 0.9},
                        "card_number": {"value": CARD, "confidence": 0.9, "raw": "6222 0212 3456 7890 123"}},
             "lines": [{"text": "6222 0212 3456 7890 123", "confidence": 0.9, "bbox": [0, 0, 1, 1]}],
             "crosscheck": {"status": "skipped", "fields": {}}},
            {"type": "lab_report", "page": 1, "confidence": 0.9, "needs_review": False, "warnings": [],
             "fields": {"patient_name": {"value": NAME, "confidence": 0.9},
                        "items": {"value": [{"name": "白细胞", "result": "5.1", "unit": "10^9/L"}], "confidence": 0.9}},
             "crosscheck": {"status": "skipped", "fields": {}}},
        ],
        "errors": [{"code": "page_unreadable", "message": f"page 2 of {ID}.pdf", "page": 2}],
    }


def _assert_no_clear_data(path: Path):
    for f in path.rglob("*"):
        if f.is_file() and f.suffix in (".jsonl", ".csv"):
            text = f.read_text(encoding="utf-8-sig")
            for clear in (ID, CARD, NAME, "0212 3456", "19491231"):
                assert clear not in text, f"{f.name} holds {clear}"


def test_redaction_of_a_result():
    from matex.privacy import redact_result

    res = _rich_result("box/a.png", "ab" * 32)
    red = redact_result(res)
    assert res["documents"][0]["fields"]["name"]["value"] == NAME  # the input is untouched
    f = red["documents"][0]["fields"]
    assert f["name"]["value"] == "欧***" and f["id_number"]["value"] == "110105********0021"
    assert ID not in json.dumps(red, ensure_ascii=False) and NAME not in json.dumps(red, ensure_ascii=False)
    assert red["documents"][1]["fields"]["card_number"]["value"] == "622202*********0123"
    assert red["documents"][1]["lines"][0]["text"] == "622202*********0123"
    assert red["documents"][2]["fields"]["items"]["value"][0]["name"] == "白细胞"  # a lab item's name is not a person's
    assert red["source"] == "box/a.png" and red["sha256"] == "ab" * 32


def test_export_redacted_and_csvs(tmp_path, capsys):
    from batch.export import write_csvs
    from matex.cli import main

    out = tmp_path / "out"
    out.mkdir()
    lines = [_rich_result(f"{NAME}/{ID}.png", "cd" * 32), _rich_result("b.png", "ef" * 32)]
    (out / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    dest = tmp_path / "shared"
    assert main(["batch", "--export-redacted", str(dest), "--out", str(out)]) == 0
    assert "2 redacted results" in capsys.readouterr().out
    _assert_no_clear_data(dest)
    red = [json.loads(x) for x in (dest / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert red[1]["documents"][0]["fields"]["id_number"]["value"] == "110105********0021"
    assert (dest / "csv" / "id_card_front.csv").exists() and (dest / "csv" / "bank_card.csv").exists()
    assert ID in (out / "results.jsonl").read_text(encoding="utf-8")  # the batch's own output is left as it is
    write_csvs(out, redact=True)  # `matex batch --report --redact`: the CSVs of DIR masked
    _assert_no_clear_data(out / "csv")


def test_batch_run_with_redact(tmp_path, monkeypatch):
    import batch.executors as ex
    from batch import BatchOptions, run_batch, verify
    from batch.sources import InputError
    from batch.worker import Worker

    class RichPipeline:
        engine = "fake"

        def extract_bytes(self, data, source="x"):
            import hashlib

            class R:
                def to_json_dict(self_inner):
                    return _rich_result(source, hashlib.sha256(data).hexdigest())

            return R()

    class FakeWorker(Worker):
        def __init__(self, options):
            self.options, self.name, self.fatal, self.pipeline = dict(options), "fake", None, RichPipeline()

    monkeypatch.setattr(ex, "Worker", FakeWorker)
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.png").write_bytes(png_bytes(seed=60))
    (src / "again.png").write_bytes(png_bytes(seed=60))  # a duplicate
    (src / "empty.png").write_bytes(b"")
    out = tmp_path / "out"
    opts = BatchOptions(workers=0, progress=False, redact=True)
    summary = run_batch([str(src)], out, opts)
    assert summary.status == "finished" and summary.duplicates == 1
    assert verify(out)["ok"]  # `source` kept: the manifest still matches
    _assert_no_clear_data(out)
    assert "110105********0021" in (out / "results.jsonl").read_text(encoding="utf-8")
    assert "622202*********0123" in (out / "csv" / "bank_card.csv").read_text(encoding="utf-8-sig")
    (src / "b.png").write_bytes(png_bytes(seed=61))
    with pytest.raises(InputError, match="--redact"):  # a resume may not mix redacted and clear results
        run_batch([str(src)], out, BatchOptions(workers=0, progress=False))
    assert run_batch([str(src)], out, opts).processed == 1
    _assert_no_clear_data(out)


# ------------------------------------------------------------------ logs
def test_log_records_are_masked():
    from matex.privacy import RedactingFilter, install_redaction, redact

    assert redact(f"id {ID} card {CARD} grouped 6222 0212 3456 7890") == \
        "id 110105********0021 card 622202*********0123 grouped 622202******7890"
    assert redact("took 0.12345678901234567 s, sha ab12345678901234567890cd") == \
        "took 0.12345678901234567 s, sha ab12345678901234567890cd"  # floats and hashes stay
    buf = io.StringIO()
    h = logging.StreamHandler(buf)
    h.addFilter(RedactingFilter())
    lg = logging.getLogger("matex.test.privacy")
    lg.addHandler(h)
    lg.propagate = False
    try:
        lg.warning("job for %s with card %s", ID, CARD)
        try:
            raise ValueError(f"bad card {CARD} of {ID}")
        except ValueError:
            lg.exception("failed")
    finally:
        lg.removeHandler(h)
    text = buf.getvalue()
    assert "Traceback" in text and "ValueError" in text
    assert ID not in text and CARD not in text and "110105********0021" in text
    install_redaction()
    install_redaction()  # idempotent
    root = logging.getLogger()
    assert all(sum(isinstance(f, RedactingFilter) for f in hd.filters) == 1 for hd in root.handlers)
    assert sum(isinstance(f, RedactingFilter) for f in logging.getLogger("uvicorn.error").filters) == 1
