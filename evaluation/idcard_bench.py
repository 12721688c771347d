"""ID-card benchmark: field exact-match per degradation kind, confident errors, calibration
(ECE), seconds per card side. Seed 1000+ is the evaluation seed: never used while tuning.

matex bench idcard --seed 1000 --per-kind 40
"""
from __future__ import annotations

import json

from evaluation.fields_eval import evaluate, markdown

ID_KINDS = [
    "id_front_clean",
    "id_back_clean",
    "id_front_photo",
    "id_back_photo",
    "id_front_copy",
    "id_both_a4_copy",
    "id_both_a4_upside_down",
]


def main_from_args(args) -> int:
    from extract.pipeline import Pipeline, PipelineOptions
    from ocr import OcrOptions
    from samples.generate import generate

    pipe = Pipeline(PipelineOptions(ocr=OcrOptions(kind=args.engine)))
    kinds = args.kinds.split(",") if args.kinds else ID_KINDS
    # warm-up
    pipe.extract_bytes(__import__("cv2").imencode(".png", generate("id_front_clean", 999_999, 0).image)[1].tobytes(), "w")
    rep = evaluate(pipe, kinds, args.seed, args.per_kind, generate, only_types={"id_card_front", "id_card_back"})
    print(f"engine {args.engine}, seed {args.seed}, {args.per_kind} images per kind")
    print(markdown(rep))
    conf_err = [e for e in rep.errors if e["confident"]]
    if conf_err:
        print("\nconfident errors:")
        for e in conf_err:
            print(json.dumps(e, ensure_ascii=False))
    if getattr(args, "show_errors", False):
        for e in rep.errors:
            print(json.dumps(e, ensure_ascii=False))
    return 0
