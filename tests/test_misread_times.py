"""A date printed with a time of day that no clock shows (报告时间：2025/01/1615:75) was misread:
its digits, the date's among them maybe, are not to be trusted (tenth session; dev seed 887
lab report #4 read 2025-01-16 for 2025-01-10 at 0.959)."""
from __future__ import annotations

import pytest

from extract.fields.values import time_impossible
from tests.helpers import read_sample


@pytest.mark.parametrize("text, bad", [
    ("报告时间：2025/01/1615:75", True),   # glued to its date, minute 75
    ("2026年2月11日25时24分", True),        # hour 25
    ("2025/01/0906:18", False),             # glued, a real time
    ("2026年2月11日22时24分", False),
    ("2025-01-10", False),                  # no time at all
    ("日期：2025-01-10 08:00:00", False),
    ("采样时间：2025-01-10", False),         # 时 of a label is no time
])
def test_a_time_no_clock_shows_is_found(text, bad):
    assert time_impossible(text) is bad


def test_a_report_date_read_with_an_impossible_time_is_not_confident(pipeline):
    s, _, res = read_sample(pipeline, "lab_report_degraded", 887, 4)
    doc = next(d for d in res.documents if d.type == "lab_report")
    f = doc.fields["report_date"]
    truth = s.truth["documents"][0]["fields"]["report_date"]["value"]
    assert f.value == truth or ("time_invalid" in f.checks and f.confidence < 0.9)
    assert doc.needs_review
