"""Documents of other types that come card-sized (ninth session): a disability card whose
outline was found without its red title band is read as a disability certificate, not as an
ID card front. The pipeline test runs the real OCR on a generated photo (dev seed 871) with
known truth."""
from __future__ import annotations

import cv2

from evaluation.metrics import norm_value
from extract.classify import classify_lines
from ocr.base import OcrLine
from samples.generate import generate


def _line(text: str, y: float) -> OcrLine:
    return OcrLine(text=text, confidence=0.99, polygon=[(300, y), (600, y), (600, y + 30), (300, y + 30)])


def test_a_card_with_the_disability_cards_short_labels_is_no_id_card_front():
    """The card's own print without its title: 姓名 … 住址 as on an ID card front, and 类别,
    等级, 证号 with a 20-digit certificate number, which no ID card prints."""
    holder = ["姓名", "轩辕铁柱", "性别男", "民族汉", "出生", "1955年2月18日", "住址", "山西省吕梁市离石区城北街道放街212号"]
    card = [_line(t, 40 * i) for i, t in enumerate(holder + ["类别智力", "等级肆级", "发证日期2025年8月12日",
                                                            "证号14110219550218295254"])]
    assert classify_lines(card).type == "disability_certificate"
    # an ID card front's own print stays an ID card front
    front = [_line(t, 40 * i) for i, t in enumerate(holder + ["公民身份号码", "141102195502182952"])]
    assert classify_lines(front).type == "id_card_front"


def test_a_disability_card_photographed_is_read_as_a_disability_certificate(pipeline):
    """Dev seed 871 disability_certificate_photo #4: the outline found was the card's cream
    part, its 中华人民共和国残疾人证 band left out; the holder's rows were read as an ID card
    front (six fields) and the band as an empty disability certificate. All ten fields now."""
    s = generate("disability_certificate_photo", 871, 4)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "disability-card.png")
    assert [d.type for d in res.documents] == ["disability_certificate"]
    truth = s.truth["documents"][0]["fields"]
    got = res.documents[0].fields
    wrong = {k: (t["value"], got[k].value if k in got else None) for k, t in truth.items()
             if k not in got or norm_value(got[k].value) != norm_value(t["value"])}
    assert not wrong


def test_a_bank_card_number_that_runs_on_under_a_stamp_is_not_sure(pipeline):
    """Dev seed 872 bank_card_degraded #5: a stamp (仅供社保待遇申领使用) across the end of
    6229 0876 4425 2974 91; the number was read without its 91, and the 16 digits left pass
    their Luhn check by chance (0.998: a confident error). Print right after the number's end
    that no line read says it may run on: flagged, below the review threshold."""
    from evaluation.metrics import CONFIDENT

    s = generate("bank_card_degraded", 872, 5)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "bank-card.png")
    doc = next(d for d in res.documents if d.type == "bank_card")
    truth = s.truth["documents"][0]["fields"]["card_number"]["value"]
    f = doc.fields["card_number"]
    assert f.value == truth or ("value_may_be_incomplete" in f.checks and f.confidence < CONFIDENT)


def test_a_bank_card_number_read_in_pieces_is_read_again_as_its_row(pipeline):
    """Dev seed 872 bank_card_clean #4: embossed light digits on a dark blue card read as
    22 6248 7773 257c and 4 (the first 62 lost, a 2 read as c): no number. The row recognised
    again as one line, as it is, in negative and with paler ink whitened: the looks agree on
    6222 6248 7773 2572 4, whose Luhn check holds."""
    s = generate("bank_card_clean", 872, 4)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "bank-card.png")
    doc = next(d for d in res.documents if d.type == "bank_card")
    f = doc.fields["card_number"]
    assert f.value == s.truth["documents"][0]["fields"]["card_number"]["value"]
    assert "reread" in f.checks and "luhn_ok" in f.checks


def test_a_bank_card_number_that_lost_its_first_digits_is_read_again(pipeline):
    """Dev seed 917 bank_card_clean #4: 6223 6926 9634 7637 753 read 23 6926 9634 7637 753 in
    one line, its 62 lost, and the 17 digits left pass their Luhn check by chance (0.998: a
    confident error). No card of 17 digits begins 2 (a Mastercard's 2369 has 16): the row is
    read again, and the looks agree on the whole number."""
    s = generate("bank_card_clean", 917, 4)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "bank-card.png")
    doc = next(d for d in res.documents if d.type == "bank_card")
    f = doc.fields["card_number"]
    assert f.value == s.truth["documents"][0]["fields"]["card_number"]["value"]
    assert "reread" in f.checks and "issuer_unknown" not in f.checks


def test_a_bank_cards_back_with_its_number_under_a_watermark_is_a_bank_card(pipeline):
    """Dev seed 898 bank_card_degraded #9: an A4 copy of a card's back, 此复印件仅供社保业务使用
    across its number; the detector read 621069 and lost the rest, so no number matched and
    交通银行 + 客服热线 (3.5) stayed under the bar: unknown. A line that is a UnionPay number's
    start alone is evidence too; as a bank card, the card is re-read whole and its number found."""
    lines = [_line(t, 40 * i) for i, t in enumerate(["123", "621069", "交通银行", "客服热线：95559"])]
    assert classify_lines(lines).type == "bank_card"
    assert classify_lines([_line(t, 40 * i) for i, t in enumerate(["交通银行", "客服热线：95559"])]).type == "unknown"
    s = generate("bank_card_degraded", 898, 9)
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "bank-card.png")
    assert [d.type for d in res.documents] == ["bank_card"]
    truth = s.truth["documents"][0]["fields"]
    assert res.documents[0].fields["card_number"].value == truth["card_number"]["value"]
