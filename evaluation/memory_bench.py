"""Resident memory of one engine over many pages (PaddleOCR on CPU has reported leaks).

python -m evaluation.memory_bench --engine paddleocr --pages 1000
Cycles through a set of generated pages of several kinds; prints RSS every --every pages and
the growth from the first checkpoint (after warm-up) to the last.
"""
from __future__ import annotations

import argparse
import json
import time

import psutil


def run(engine: str, pages: int, every: int) -> dict:
    import cv2

    from extract.pipeline import Pipeline, PipelineOptions
    from ocr import OcrOptions
    from samples.generate import generate

    kinds = ["id_front_clean", "id_back_photo", "id_front_copy", "bank_card_clean", "medical_certificate_clean"]
    inputs = [cv2.imencode(".jpg", generate(k, 7, i).image)[1].tobytes() for k in kinds for i in range(4)]
    pipe = Pipeline(PipelineOptions(ocr=OcrOptions(kind=engine)))
    proc = psutil.Process()
    curve = []
    t0 = time.perf_counter()
    for n in range(1, pages + 1):
        pipe.extract_bytes(inputs[n % len(inputs)], "mem.jpg")
        if n % every == 0 or n == 1:
            curve.append((n, round(proc.memory_info().rss / 2**20, 1)))
    base = next((r for n, r in curve if n >= 2 * every), curve[0][1])
    last = curve[-1][1]
    return {
        "engine": engine,
        "pages": pages,
        "seconds": round(time.perf_counter() - t0, 1),
        "rss_mb_curve": curve,
        "rss_growth_after_warmup_pct": round(100 * (last - base) / base, 2),
    }


def main_from_args(args) -> int:
    print(json.dumps(run(args.engine, args.pages, args.every)))
    return 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="rapidocr")
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--every", type=int, default=50)
    main_from_args(ap.parse_args())


if __name__ == "__main__":
    main()
