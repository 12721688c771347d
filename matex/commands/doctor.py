"""`matex doctor`: check that the installation works offline (models present, hashes match,
one OpenCV provider, fonts for the sample generator)."""
from __future__ import annotations

import importlib.metadata as md


def register(sub) -> None:
    p = sub.add_parser("doctor", help="check the installation: OCR models, hashes, OpenCV, fonts")
    p.set_defaults(func=run)


def run(args) -> int:
    from ocr import available_kinds, engine_class
    from ocr.base import EngineUnavailable

    ok = True
    for kind in available_kinds():
        try:
            cls = engine_class(kind)
            hashes = cls.verify_models()
            print(f"ok   engine {kind}: {len(hashes)} model files verified by sha256")
        except EngineUnavailable as exc:
            ok = False
            print(f"FAIL engine {kind}: {exc}")
    cv = [d.metadata["Name"] for d in md.distributions() if (d.metadata["Name"] or "").lower().startswith("opencv")]
    if len(cv) == 1:
        print(f"ok   one OpenCV provider: {cv[0]}")
    else:
        ok = False
        print(f"FAIL OpenCV providers installed: {cv} (expected exactly one)")
    try:
        from samples.fonts import font_paths

        fonts = font_paths()
        print(f"ok   fonts for samples: {', '.join(sorted(fonts))}")
    except Exception as exc:  # the generator is optional for extraction
        print(f"warn fonts for samples: {exc}")
    return 0 if ok else 1
