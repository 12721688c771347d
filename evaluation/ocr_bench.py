"""OCR benchmark of one engine on generated pages (run once per engine, in its own process,
so that model load time and peak RSS are the engine's own).

python -m evaluation.ocr_bench --engine rapidocr --seed 1000 --per-kind 6
prints one JSON object: character accuracy on clean and degraded pages, seconds per page
(median, p90) after warm-up, model load time, peak RSS.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

CLEAN_KINDS = ["id_front_clean", "id_back_clean", "medical_certificate_clean", "lab_report_clean"]
DEGRADED_KINDS = [
    "id_front_photo",
    "id_back_photo",
    "id_front_copy",
    "id_both_a4_copy",
    "id_both_a4_upside_down",
    "medical_certificate_degraded",
    "lab_report_degraded",
]
ID_PAGE_KINDS = ["id_front_clean", "id_back_clean", "id_front_photo", "id_front_copy", "id_both_a4_copy"]


def _p90(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(engine: str, seed: int, per_kind: int, kinds: list[str] | None = None) -> dict:
    from evaluation.metrics import char_errors
    from extract.pipeline import Pipeline, PipelineOptions
    from ocr import OcrOptions, create_engine
    from samples.generate import generate

    t0 = time.perf_counter()
    eng = create_engine(OcrOptions(kind=engine))
    load_s = time.perf_counter() - t0
    pipe = Pipeline(PipelineOptions(ocr=OcrOptions(kind=engine), include_lines=True), engine=eng)
    import cv2

    # warm-up (first inference allocates)
    warm = generate("id_front_clean", seed + 999_999, 0)
    pipe.extract_bytes(cv2.imencode(".png", warm.image)[1].tobytes(), "warmup.png")

    out = {"engine": engine, "seed": seed, "model_load_s": round(load_s, 2)}
    times: dict[str, list[float]] = {}
    acc: dict[str, list[int]] = {"clean": [0, 0], "degraded": [0, 0]}
    per_kind_acc: dict[str, float] = {}
    for kind in kinds or (CLEAN_KINDS + DEGRADED_KINDS):
        group = "clean" if kind in CLEAN_KINDS else "degraded"
        kd = kt = 0
        for i in range(per_kind):
            s = generate(kind, seed, i)
            data = cv2.imencode(".png", s.image)[1].tobytes()
            t = time.perf_counter()
            res = pipe.extract_bytes(data, f"{kind}-{i}.png")
            times.setdefault(kind, []).append(time.perf_counter() - t)
            pred = [
                {"text": l.text, "bbox": l.bbox}
                for d in res.documents
                for l in (getattr(d, "lines", None) or [])
            ]
            # stamps and watermarks are not text to read
            truth_lines = [l for l in s.truth["lines"] if l.get("role") not in ("seal", "watermark")]
            d, n = char_errors(pred, truth_lines)
            kd += d
            kt += n
        acc[group][0] += kd
        acc[group][1] += kt
        per_kind_acc[kind] = round(1 - kd / max(1, kt), 4)
    out["char_accuracy_clean"] = round(1 - acc["clean"][0] / max(1, acc["clean"][1]), 4)
    out["char_accuracy_degraded"] = round(1 - acc["degraded"][0] / max(1, acc["degraded"][1]), 4)
    out["char_accuracy_by_kind"] = per_kind_acc
    allt = [t for ts in times.values() for t in ts]
    idt = [t for k, ts in times.items() if k in ID_PAGE_KINDS for t in ts]
    out["s_per_page_median"] = round(statistics.median(allt), 3)
    out["s_per_page_p90"] = round(_p90(allt), 3)
    if idt:
        out["id_page_s_median"] = round(statistics.median(idt), 3)
        out["id_page_s_p90"] = round(_p90(idt), 3)
    out["s_by_kind_median"] = {k: round(statistics.median(v), 3) for k, v in times.items()}
    out["pages"] = len(allt)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--per-kind", type=int, default=6)
    ap.add_argument("--kinds", default=None)
    a = ap.parse_args()
    print(json.dumps(run(a.engine, a.seed, a.per_kind, a.kinds.split(",") if a.kinds else None), ensure_ascii=False))


if __name__ == "__main__":
    main()
