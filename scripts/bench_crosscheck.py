"""Golden-record cross-check benchmark: import rate, per-document latency, case accuracy.

    .venv/bin/python scripts/bench_crosscheck.py --records 100000 --docs 10000 \
        [--backends sqlite,postgresql] [--pg postgresql://postgres@127.0.0.1:5432/test] \
        [--claims 2000] [--import-path csv|bulk]

1. Generates N synthetic golden records (numpy; valid check characters; no real data).
2. Imports them into each backend through the real import path (CSV file → validation →
   chunked upserts; `--import-path bulk` skips CSV and validation) and reports rows/s.
3. Cross-checks M synthetic extracted documents (ExtractionResult objects) one at a time and
   reports per-document latency p50/p95 per backend.
4. Accuracy: generated claims, half clean (variation that must not be flagged: traditional
   script, full width, spaced digits, date forms incl. Chinese numerals, addresses without the
   province, short forms of categories/levels, former names on death certificates, 15-digit ID
   numbers on old household registers, the applicant's bank card), half with one injected discrepancy
   (wrong ID digit, a different valid ID, a different name character, a different birth date,
   a death certificate for a person alive and receiving a pension, a disability level other
   than the golden one); prints the detection rate (discrepancy flagged, with a flag for the
   right field) and the false-flag rate (clean claims flagged).

PostgreSQL runs use a schema of their own (dropped at the end).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crosscheck import SqlGoldenStore, check_case, check_result, import_file  # noqa: E402
from crosscheck.normalize import id_check_char  # noqa: E402
from crosscheck.synth import People, generate_people, make_document, make_result, shift_date  # noqa: E402

DOC_TYPES = ["id_card_front", "household_register", "social_security_card", "death_certificate",
             "disability_certificate"]


from matex.commands.bench import machine  # noqa: E402  (one description for every benchmark)


# --------------------------------------------------------------------------- stores
def open_backend(name: str, pg_url: str, tmp: Path):
    if name == "sqlite":
        path = tmp / "golden.sqlite3"
        if path.exists():
            path.unlink()
        return SqlGoldenStore(str(path)), None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    from sqlalchemy import create_engine, text

    from crosscheck.store import resolve_url

    eng = create_engine(resolve_url(pg_url))
    with eng.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    return SqlGoldenStore(eng, schema=schema), schema


def drop_backend(store, schema):
    if schema:
        from sqlalchemy import text

        with store.engine.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    store.close()


def do_import(store, people: People, csv_path: Path, how: str, chunk: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    if how == "csv":
        rep = import_file(csv_path, store, chunk_size=chunk)
        assert rep.rejected == 0, rep.rejections[:5]
        n = rep.rows
    else:
        n = 0
        for s in range(0, len(people), chunk):
            rows = people.db_rows(s, min(s + chunk, len(people)))
            store.upsert_many(rows)
            n += len(rows)
    dt = time.perf_counter() - t0
    return n / dt, dt


# --------------------------------------------------------------------------- latency
def make_docs(people: People, m: int, seed: int):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(people), m)
    out = []
    for i in idx:
        p = people.row(int(i))
        t = DOC_TYPES[int(rng.integers(0, 3))]
        if p["disability_level"] and rng.random() < 0.3:
            t = "disability_certificate"
        elif p["status"] == "deceased" and rng.random() < 0.5:
            t = "death_certificate"
        out.append(make_result([make_document(t, p, rng)], f"doc{i}"))
    return out


def latency(store, results) -> tuple[float, float, dict[str, int]]:
    times = []
    statuses: dict[str, int] = {}
    for r in results:
        t0 = time.perf_counter()
        check_result(r, store)
        times.append(time.perf_counter() - t0)
        st = r.documents[0].crosscheck.status
        statuses[st] = statuses.get(st, 0) + 1
    a = np.array(times) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), statuses


# --------------------------------------------------------------------------- accuracy
KINDS = ["id_digit", "id_other", "name_char", "birth_date", "deceased_alive", "disability_level"]
EXPECT = {  # a discrepancy counts as detected when a flag for its field is raised
    "id_digit": {"id_number_inconsistent", "id_checksum_invalid", "golden_mismatch"},
    "id_other": {"id_number_inconsistent", "golden_mismatch"},
    "name_char": {"name_inconsistent", "golden_mismatch"},
    "birth_date": {"birth_date_inconsistent", "id_birth_date_inconsistent", "golden_mismatch"},
    "deceased_alive": {"deceased_but_pension_active"},
    "disability_level": {"disability_level_differs", "golden_mismatch"},
}
GIVEN_POOL = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华萍红玲")


def _pools(people: People):
    c = people.cols
    alive = np.flatnonzero(c["status"] == "alive")
    dead = np.flatnonzero(c["status"] == "deceased")
    pension = np.flatnonzero((c["status"] == "alive") & (c["pension_status"] == "receiving"))
    disabled = np.flatnonzero((c["disability_level"] != "") & (c["status"] == "alive"))
    return alive, dead, pension, disabled


def build_claim(people: People, rng, kind: str | None, pools):
    """(list of ExtractionResult, the document types with the discrepancy)."""
    alive, dead, pension, disabled = pools
    if kind == "deceased_alive":
        scenario = "death"
    elif kind == "disability_level":
        scenario = "disability"
    else:
        scenario = ["pension", "death", "disability"][int(rng.integers(0, 3))]
    if scenario == "pension":
        p = people.row(int(rng.choice(alive)))
        types = ["id_card_front", "social_security_card", "bank_card"] + (
            ["household_register"] if rng.random() < 0.5 else [])
    elif scenario == "death":
        pool = pension if kind == "deceased_alive" else dead
        p = people.row(int(rng.choice(pool)))
        types = ["id_card_front", "death_certificate", "household_register"]
    else:
        p = people.row(int(rng.choice(disabled)))
        types = ["id_card_front", "disability_certificate", "bank_card"]
    death_date = p["death_date"] or "2025-05-20"
    docs = [make_document(t, p, rng, death_date=death_date) for t in types]
    if kind is None or kind == "deceased_alive":
        pass
    elif kind in ("id_digit", "id_other"):
        cands = [d for d in docs if "id_number" in d.fields or "social_security_number" in d.fields]
        d = cands[int(rng.integers(0, len(cands)))]
        key = "id_number" if "id_number" in d.fields else "social_security_number"
        idn = p["id_number"]
        pos = int(rng.integers(6 if kind == "id_digit" else 14, 17))
        new = str((int(idn[pos]) + int(rng.integers(1, 10))) % 10)
        bad = idn[:pos] + new + idn[pos + 1:]
        if kind == "id_other":  # someone else's valid number
            bad = bad[:17] + id_check_char(bad[:17])
        d.fields[key].value = bad
    elif kind == "name_char":
        cands = [d for d in docs if "name" in d.fields or "deceased_name" in d.fields]
        d = cands[int(rng.integers(0, len(cands)))]
        key = "name" if "name" in d.fields else "deceased_name"
        name = p["name"]
        ch = name[-1]
        new = ch
        while new == ch:
            new = GIVEN_POOL[int(rng.integers(0, len(GIVEN_POOL)))]
        d.fields[key].value = name[:-1] + new
    elif kind == "birth_date":
        cands = [d for d in docs if "birth_date" in d.fields]
        d = cands[int(rng.integers(0, len(cands)))]
        delta = int(rng.choice([-1, 1])) * int(rng.integers(1, 800))
        d.fields["birth_date"].value = shift_date(p["birth_date"], delta)
    elif kind == "disability_level":
        d = next(d for d in docs if d.type == "disability_certificate")
        levels = ["一级", "二级", "三级", "四级"]
        cur = p["disability_level"]
        new = levels[(levels.index(cur) + int(rng.integers(1, 4))) % 4]
        d.fields["disability_level"].value = new
        num = p["disability_certificate_number"]
        d.fields["certificate_number"].value = num[:19] + str(levels.index(new) + 1)
    return [make_result([d], f"claim-{d.type}.json") for d in docs]


def accuracy(store, people: People, claims: int, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    pools = _pools(people)
    detected, injected, false_flags, clean = 0, 0, 0, 0
    per_kind: dict[str, list[int]] = {k: [0, 0] for k in KINDS}
    fp_codes: dict[str, int] = {}
    misses: list[str] = []
    for i in range(claims):
        kind = None if i % 2 == 0 else KINDS[(i // 2) % len(KINDS)]
        results = build_claim(people, rng, kind, pools)
        rep = check_case(results, store)
        codes = rep.codes()
        if kind is None:
            clean += 1
            if rep.flagged:
                false_flags += 1
                for c in codes:
                    fp_codes[c] = fp_codes.get(c, 0) + 1
        else:
            injected += 1
            per_kind[kind][1] += 1
            if codes & EXPECT[kind]:
                detected += 1
                per_kind[kind][0] += 1
            elif len(misses) < 5:
                misses.append(f"{kind}: {sorted(codes)}")
    return {"claims": claims, "injected": injected, "detected": detected,
            "detection_rate": detected / max(injected, 1), "clean": clean,
            "false_flags": false_flags, "false_flag_rate": false_flags / max(clean, 1),
            "per_kind": {k: f"{a}/{b}" for k, (a, b) in per_kind.items()},
            "false_flag_codes": fp_codes, "misses": misses}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--claims", type=int, default=2_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--pg", default=os.environ.get("MATEX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--import-path", choices=["csv", "bulk"], default="csv")
    ap.add_argument("--chunk", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    print(f"machine: {machine()}")
    t0 = time.perf_counter()
    people = generate_people(args.records, seed=args.seed)
    print(f"generated {len(people):,} golden records in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        csv_path = tmp / "golden.csv"
        if args.import_path == "csv":
            t0 = time.perf_counter()
            people.write_csv(csv_path)
            print(f"wrote CSV ({csv_path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s")
        docs_seed = args.seed + 1
        rows = []
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            try:
                store, schema = open_backend(backend, args.pg, tmp)
            except Exception as exc:
                print(f"{backend}: unavailable ({type(exc).__name__}: {exc})")
                continue
            try:
                rate, secs = do_import(store, people, csv_path, args.import_path, args.chunk)
                print(f"{backend}: imported {len(people):,} rows in {secs:.1f} s = {rate:,.0f} rows/s "
                      f"({args.import_path})")
                rate2, secs2 = do_import(store, people, csv_path, args.import_path, args.chunk)
                print(f"{backend}: re-import (idempotent, 0 changes) {secs2:.1f} s = {rate2:,.0f} rows/s; "
                      f"rows in table: {store.count():,}")
                results = make_docs(people, args.docs, docs_seed)
                check_result(results[0], store)  # warm caches (division index, OpenCC)
                p50, p95, st = latency(store, results)
                print(f"{backend}: cross-check {args.docs:,} documents: p50 {p50:.2f} ms, p95 {p95:.2f} ms "
                      f"per document; statuses {st}")
                acc = accuracy(store, people, args.claims, args.seed + 2)
                print(f"{backend}: accuracy on {acc['claims']} claims: discrepancies flagged "
                      f"{acc['detected']}/{acc['injected']} = {acc['detection_rate']:.2%}; false flags "
                      f"{acc['false_flags']}/{acc['clean']} = {acc['false_flag_rate']:.2%}")
                print(f"{backend}:   per kind {acc['per_kind']}; false-flag codes {acc['false_flag_codes']}"
                      + (f"; misses {acc['misses']}" if acc["misses"] else ""))
                rows.append((backend, rate, p50, p95, acc["detection_rate"], acc["false_flag_rate"]))
            finally:
                drop_backend(store, schema)
    print()
    print(f"| backend | records | import rows/s ({args.import_path}) | p50 ms/doc | p95 ms/doc | flagged | false flags |")
    print("|---|---|---|---|---|---|---|")
    for b, rate, p50, p95, det, ff in rows:
        print(f"| {b} | {len(people):,} | {rate:,.0f} | {p50:.2f} | {p95:.2f} | {det:.2%} | {ff:.2%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
