"""Fit the confidence calibration (extract/calibration.json) on generated documents.

Development seeds only (default 1..): the evaluation seed (1000+) is never used here.
For every extracted field: its pre-calibration score and whether the value is exactly right;
per value kind, an isotonic (pool-adjacent-violators) map score -> P(correct) with Laplace
smoothing of each block, so that a block of 40 correct readings maps to 41/42, not to 1.0.
(scikit-learn's IsotonicRegression has no per-block smoothing; PAV is 20 lines.)

.venv/bin/python scripts/calibrate.py --seeds 1,2 --per-kind 30
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def pav(points: list[tuple[float, bool]], prior: float = 1.0) -> tuple[list[float], list[float]]:
    """Isotonic fit of correct ~ score; returns knots (x, y) with smoothed block means."""
    pts = sorted(points)
    blocks: list[list[float]] = []  # [sum_correct, n, x_lo, x_hi]
    for x, ok in pts:
        blocks.append([1.0 if ok else 0.0, 1.0, x, x])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            c, n, lo, hi = blocks.pop()
            blocks[-1][0] += c
            blocks[-1][1] += n
            blocks[-1][3] = hi
    xs, ys = [], []
    for c, n, lo, hi in blocks:
        y = (c + prior) / (n + 2 * prior)
        xs.append((lo + hi) / 2)
        ys.append(y)
    # keep the map monotone after smoothing
    for i in range(1, len(ys)):
        ys[i] = max(ys[i], ys[i - 1])
    return xs, ys


def main() -> None:
    import cv2

    from evaluation.fields_eval import match_documents
    from evaluation.metrics import norm_value
    from extract.pipeline import Pipeline, PipelineOptions
    from ocr import OcrOptions
    from samples.generate import generate

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--per-kind", type=int, default=30)
    ap.add_argument("--kinds", default=None)
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--points", default=None, help="append every (kind, score, correct) here as it is measured")
    ap.add_argument("--from-points", default=None, help="fit from a --points file instead of measuring again")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "extract" / "calibration.json"))
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    assert all(s < 1000 for s in seeds), "seeds >= 1000 are evaluation seeds: never calibrate on them"
    from evaluation.idcard_bench import ID_KINDS

    kinds = a.kinds.split(",") if a.kinds else ID_KINDS
    points: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    if a.from_points:
        for line in open(a.from_points):
            kind, score, ok = json.loads(line)
            points[kind].append((score, ok))
            points["all"].append((score, ok))
    else:
        pipe = Pipeline(PipelineOptions(ocr=OcrOptions(kind=a.engine), debug=True))
    for seed in ([] if a.from_points else seeds):
        for kind in kinds:
            for i in range(a.per_kind):
                s = generate(kind, seed, i)
                res = pipe.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "cal.png").to_json_dict()
                for t, p in match_documents(res["documents"], s.truth["documents"]):
                    if p is None:
                        continue
                    for fname, pf in p["fields"].items():
                        if "score" not in pf or fname not in t["fields"]:
                            continue
                        ok = norm_value(pf["value"]) == norm_value(t["fields"][fname]["value"])
                        points[pf["kind"]].append((pf["score"], ok))
                        points["all"].append((pf["score"], ok))
                        if a.points:
                            with open(a.points, "a") as fh:
                                fh.write(json.dumps([pf["kind"], pf["score"], ok]) + "\n")
            print(f"seed {seed} {kind}: {sum(len(v) for k, v in points.items() if k != 'all')} fields", file=sys.stderr)
    table = {}
    for kind, pts in points.items():
        xs, ys = pav(pts)
        table[kind] = {"x": [round(x, 6) for x in xs], "y": [round(y, 5) for y in ys], "n": len(pts),
                       "accuracy": round(sum(ok for _, ok in pts) / len(pts), 4)}
    table["_meta"] = {"seeds": seeds, "kinds": kinds, "per_kind": a.per_kind}
    out = Path(a.out)
    existing = json.loads(out.read_text()) if out.is_file() else {}
    existing = {k: v for k, v in existing.items() if k in ("rapidocr", "paddleocr") or k.startswith("_")}
    existing[a.engine] = table  # one set of maps per engine: their scores mean different things
    out.write_text(json.dumps(existing, ensure_ascii=False, indent=1))
    print(json.dumps({k: (v["n"], v["accuracy"]) for k, v in table.items() if k != "_meta"}))


if __name__ == "__main__":
    main()
