import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_TTF = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


@pytest.fixture(scope="session")
def rapid_engine():
    from ocr import OcrOptions, create_engine

    return create_engine(OcrOptions(kind="rapidocr"))


@pytest.fixture(scope="session")
def paddle_engine():
    from ocr import OcrOptions, create_engine

    return create_engine(OcrOptions(kind="paddleocr"))


@pytest.fixture(scope="session")
def pipeline(rapid_engine):
    from extract.pipeline import Pipeline, PipelineOptions

    return Pipeline(PipelineOptions(), engine=rapid_engine)
