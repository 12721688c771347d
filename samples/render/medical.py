"""Medical documents on A4 (150 dpi, 1240 × 1754 px): 诊断证明书 and 检验报告单.

Each public renderer takes ``(person, rng, layout=None)`` and returns ``(RGB uint8 array, Truth)``
with one document.  Layouts:

- ``render_medical_certificate``: ``"form"`` (label: value rows, ruled header), ``"grid"`` (a ruled
  table form), ``"sentence"`` (兹证明患者___，性别___，___岁，于___在我院___就诊 with hand-filled blanks).
- ``render_lab_report``: ``"single"`` (one table), ``"double"`` (two tables side by side),
  ``"compact"`` (header block in a ruled box, flag glued to the result).

A new document type (death certificate, disability certificate, household register,
social-security card, bank card, discharge summary) is one more function here or in a sibling
module: make a :class:`~samples.render.layout.Canvas`, call the ``_header`` / ``_info_rows`` /
``Canvas.table`` / ``Canvas.seal`` / ``Canvas.signature`` helpers, and record fields with
``Canvas.field``; the truth geometry comes for free.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from PIL import ImageDraw

from .. import fonts as F
from ..people import (TODAY, Person, _choice, age_on, make_doctor, make_hospital, make_lab_items,
                      pick_advice, pick_diagnoses)
from .layout import Canvas, Col, Run, fit_columns, ink, union

__all__ = ["render_medical_certificate", "render_lab_report", "PAGE_150DPI",
           "CERTIFICATE_LAYOUTS", "LAB_LAYOUTS", "format_date"]

PAGE_150DPI = (1240, 1754)
CERTIFICATE_LAYOUTS = ("form", "grid", "sentence")
LAB_LAYOUTS = ("single", "double", "compact")

_CN_DIGITS = "〇一二三四五六七八九"


def _cn_number(n: int) -> str:
    if n < 10:
        return "十" if n == 10 else _CN_DIGITS[n]
    t, u = divmod(n, 10)
    return ("" if t == 1 else _CN_DIGITS[t]) + "十" + ("" if u == 0 else _CN_DIGITS[u])


def format_date(d: dt.date, style: str) -> str:
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "cn0":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "dash":
        return d.isoformat()
    if style == "dot":
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    if style == "slash":
        return f"{d.year}/{d.month:02d}/{d.day:02d}"
    if style == "hanzi":  # 二〇二四年三月五日
        return "".join(_CN_DIGITS[int(c)] for c in str(d.year)) + f"年{_cn_number(d.month)}月{_cn_number(d.day)}日"
    raise ValueError(style)


def _paper(rng) -> tuple[int, int, int]:
    v = rng.uniform(246, 255)
    return tuple(int(np.clip(v + rng.normal(0, 1.2), 0, 255)) for _ in range(3))


def _colon(rng) -> str:
    return "：" if rng.random() < 0.75 else ":"


def _spaced(label: str, rng, p: float = 0.35) -> str:
    """'姓名' -> '姓　名' sometimes (two-character labels only)."""
    if len(label) == 2 and rng.random() < p:
        return label[0] + ("　" if rng.random() < 0.7 else "  ") + label[1]
    return label


def _recent_date(rng, days_back: int = 700) -> dt.date:
    return TODAY - dt.timedelta(days=int(rng.integers(0, days_back)))


def _record_number(rng) -> str:
    r = rng.random()
    if r < 0.5:
        return str(int(rng.integers(10 ** 5, 10 ** 10)))
    if r < 0.7:
        return f"{int(rng.integers(2018, 2027))}{int(rng.integers(0, 10 ** 6)):06d}"
    if r < 0.85:
        return _choice(rng, ["MZ", "ZY", "H", "A"]) + str(int(rng.integers(10 ** 6, 10 ** 9)))
    return f"{int(rng.integers(0, 10 ** 8)):08d}"


# ------------------------------------------------------------------------------------------
# shared pieces
# ------------------------------------------------------------------------------------------
class Style:
    """Fonts and colours of one page."""

    def __init__(self, rng: np.random.Generator, text: str, scale: float = 1.0):
        self.rng = rng
        self.body_spec = F.pick("serif" if rng.random() < 0.45 else "sans", rng, text, bold=False)
        self.head_spec = F.pick("serif" if rng.random() < 0.5 else "sans", rng, text,
                                bold=rng.random() < 0.7)
        self.scale = scale
        self.body = rng.uniform(20, 25) * scale
        self.ink = ink(rng, "print")
        self.head_ink = self.ink if rng.random() < 0.75 else ((150, 20, 25) if rng.random() < 0.6 else (20, 50, 130))

    def font(self, size: float, head: bool = False):
        return F.load(self.head_spec if head else self.body_spec, size)


def _logo(draw: ImageDraw.ImageDraw, cx, cy, r, rng):
    col = [(30, 110, 60), (30, 80, 160), (170, 30, 40)][int(rng.integers(3))]
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=col, width=max(2, int(r / 8)))
    a = r * 0.55
    b = r * 0.18
    draw.rectangle([cx - b, cy - a, cx + b, cy + a], fill=col)
    draw.rectangle([cx - a, cy - b, cx + a, cy + b], fill=col)


def _header(cv: Canvas, st: Style, rng, hospital: str, title: str, y: float) -> float:
    """Hospital name and document title, centred; records field 'hospital'. Returns next baseline."""
    W = cv.size[0]
    hs = rng.uniform(38, 50) * st.scale
    hf = st.font(hs, head=True)
    hw = hf.getlength(hospital)
    while hw > W * 0.8:
        hs *= 0.93
        hf = st.font(hs, head=True)
        hw = hf.getlength(hospital)
    cx = W / 2 + rng.normal(0, 8)
    hb = cv.text(cx, y, hospital, hf, st.head_ink, anchor="ms", role="title",
                 tracking=hs * rng.uniform(0, 0.12) if len(hospital) < 10 else 0)
    cv.field("hospital", hospital, hb)
    if rng.random() < 0.4:
        _logo(cv.draw, hb[0] - hs * 1.0, (hb[1] + hb[3]) / 2, hs * 0.65, rng)
    y = hb[3] + rng.uniform(1.4, 1.9) * hs
    ts = rng.uniform(40, 56) * st.scale
    tf = st.font(ts, head=True)
    tt = title
    track = ts * rng.uniform(0.2, 0.8) if len(title) <= 5 else ts * rng.uniform(0, 0.2)
    tb = cv.text(cx, y, tt, tf, st.ink if rng.random() < 0.8 else st.head_ink, anchor="ms",
                 tracking=track, role="title")
    if rng.random() < 0.3:  # double rule under the title
        cv.hline(W * 0.08, W * 0.92, tb[3] + ts * 0.35, 3, st.head_ink)
        cv.hline(W * 0.08, W * 0.92, tb[3] + ts * 0.35 + 6, 1, st.head_ink)
    return tb[3] + ts * 1.1


def _info_rows(cv: Canvas, st: Style, rng, x0: float, x1: float, y: float,
               items: list[tuple[str, str, str | None, object]], per_row: int,
               underline: bool = False, joined_p: float = 0.6) -> float:
    """Label/value pairs laid out in rows of ``per_row`` columns.

    items: (label, printed value, field key or None, normalised value).  Returns next baseline.
    """
    col_w = (x1 - x0) / per_row
    lf = st.font(st.body)
    vf = st.font(st.body)
    colon = _colon(rng)
    joined = rng.random() < joined_p
    line_h = st.body * rng.uniform(1.9, 2.4)
    for i, (label, value, key, norm) in enumerate(items):
        r, c = divmod(i, per_row)
        x = x0 + c * col_w + rng.normal(0, 1.5)
        yy = y + r * line_h
        lab = _spaced(label, rng, 0.25) + colon
        _, vb, _ = cv.label_value(x, yy, lab, value, lf, vf, lfill=st.ink, vfill=st.ink,
                                  gap=st.body * rng.uniform(0.1, 0.5), joined=joined,
                                  underline=(col_w - lf.getlength(lab) - st.body) if underline else 0)
        if key and vb is not None:
            cv.field(key, norm, vb)
    rows = (len(items) + per_row - 1) // per_row
    return y + rows * line_h


def _diagnosis_lines(rng, diags: list[str]) -> list[str]:
    style = _choice(rng, ["dot", "dun", "paren", "none", "semi"])
    if style == "semi":
        return ["；".join(diags) + ("。" if rng.random() < 0.3 else "")]
    out = []
    for i, d in enumerate(diags, 1):
        if style == "dot":
            out.append(f"{i}. {d}" if rng.random() < 0.5 else f"{i}.{d}")
        elif style == "dun":
            out.append(f"{i}、{d}")
        elif style == "paren":
            out.append(f"（{i}）{d}")
        else:
            out.append(d)
    return out


def _finish(cv: Canvas):
    return cv.to_array(), cv.truth()


# ------------------------------------------------------------------------------------------
# 诊断证明书
# ------------------------------------------------------------------------------------------
def render_medical_certificate(person: Person, rng: np.random.Generator, layout: str | None = None,
                               size: tuple[int, int] = PAGE_150DPI):
    """A 诊断证明书 page; returns (RGB uint8, Truth with one 'medical_certificate')."""
    layout = layout or _choice(rng, list(CERTIFICATE_LAYOUTS))
    W, H = size
    cv = Canvas((W, H), "medical_certificate", bg=_paper(rng))
    hospital = make_hospital(rng, person)
    issue = _recent_date(rng)
    diags, dept = pick_diagnoses(rng, sex=person.sex, age=age_on(person.birth_date, issue))
    if rng.random() < 0.3:
        from ..people import pick_department
        dept = pick_department(rng)
    advice = pick_advice(rng)
    doctor = make_doctor(rng)
    visit = issue - dt.timedelta(days=int(rng.integers(0, 3)) if rng.random() < 0.6 else int(rng.integers(0, 60)))
    age = age_on(person.birth_date, issue)
    recno = _record_number(rng)
    rec_label = _choice(rng, ["门诊号", "住院号", "病历号", "ID号"])
    dept_label = _choice(rng, ["科别", "科室", "就诊科室"])
    name_label = _choice(rng, ["姓名", "姓名", "患者姓名"])
    st = Style(rng, hospital + person.name + person.address + "".join(diags) + advice + doctor)
    title = _choice(rng, ["诊断证明书", "诊断证明书", "疾病诊断证明书", "医学诊断证明书", "诊断证明"])
    date_style = _choice(rng, ["cn", "cn", "dash", "cn0", "dot", "hanzi"])
    mx = rng.uniform(0.08, 0.12) * W
    y = _header(cv, st, rng, hospital, title, rng.uniform(0.06, 0.09) * H)
    if rng.random() < 0.6:  # serial number top right
        no = f"No.{int(rng.integers(10 ** 7, 10 ** 9))}" if rng.random() < 0.5 else \
            f"编号：{int(rng.integers(2020, 2027))}{int(rng.integers(0, 10 ** 5)):05d}"
        cv.text(W - mx, y - st.body * 0.2, no, st.font(st.body * 0.85), st.ink, anchor="rs", role="value")
        y += st.body * 0.9
    age_txt = f"{age}岁" if rng.random() < 0.75 else str(age)
    ctx = dict(hospital=hospital, diags=diags, dept=dept, advice=advice, doctor=doctor,
               issue=issue, visit=visit, age=age, age_txt=age_txt, recno=recno,
               rec_label=rec_label, dept_label=dept_label, name_label=name_label,
               date_style=date_style, mx=mx)
    if layout == "form":
        y = _cert_form(cv, st, rng, person, y, ctx)
    elif layout == "grid":
        y = _cert_grid(cv, st, rng, person, y, ctx)
    elif layout == "sentence":
        y = _cert_sentence(cv, st, rng, person, y, ctx)
    else:
        raise ValueError(f"unknown certificate layout {layout!r}")
    cv.doc.meta = {"layout": layout, "dpi": 150}
    return _finish(cv, )


def _sign_and_date(cv: Canvas, st: Style, rng, y: float, ctx: dict, x_right: float,
                   seal_over: str = "date") -> float:
    """医师 signature, date and the red seal; records doctor and issue_date."""
    f = st.font(st.body)
    colon = _colon(rng)
    doc_label = _choice(rng, ["医师签名", "医师", "医生签字", "经治医师", "主治医师"]) + colon
    x = x_right - rng.uniform(0.32, 0.42) * cv.size[0]
    cv.text(x, y, doc_label, f, st.ink, role="label")
    sx = x + f.getlength(doc_label) + st.body * 0.4
    sb = cv.signature(rng, sx, y + rng.normal(0, 3), ctx["doctor"], st.body * rng.uniform(1.3, 1.7))
    cv.field("doctor", ctx["doctor"], sb)
    y2 = y + st.body * rng.uniform(2.2, 3.0)
    date_label = _choice(rng, ["日期", "开具日期", "出具日期", "日　期"]) + colon
    printed = format_date(ctx["issue"], ctx["date_style"])
    hand = rng.random() < 0.3
    cv.text(x, y2, date_label, f, st.ink, role="label")
    dx = x + f.getlength(date_label) + st.body * 0.3
    if hand:
        hf = F.load(F.pick("kai", rng, printed), st.body * rng.uniform(1.1, 1.35))
        db = cv.text(dx, y2, printed, hf, ink(rng, "blue"), jitter=1.5, rng=rng, role="handwriting")
    else:
        db = cv.text(dx, y2, printed, f, st.ink)
    cv.field("issue_date", ctx["issue"].isoformat(), db)
    target = db if seal_over == "date" or sb is None else sb
    r = rng.uniform(95, 125) * st.scale
    cxs = (target[0] + target[2]) / 2 + rng.normal(0, r * 0.3)
    cys = (target[1] + target[3]) / 2 + rng.normal(0, r * 0.25)
    cv.seal(rng, cxs, cys, r, ctx["hospital"],
            _choice(rng, ["诊断证明专用章", "诊断证明专用章", "门诊部", "医务科", ""]))
    return y2 + st.body * 2.5


_SUMMARY = [
    "患者因{s}{d}就诊，查体：神志清，精神可，{e}。",
    "主诉：{s}{d}。现病史：患者{d}前无明显诱因出现{s}，{e}。",
    "患者{d}前出现{s}，经门诊检查，{e}，现病情{p}。",
]
_SYMPTOMS = ["反复头晕", "胸闷气短", "腰部疼痛伴左下肢麻木", "多饮多尿", "咳嗽咳痰", "右侧肢体无力",
             "双膝关节疼痛", "视物模糊", "记忆力下降", "乏力纳差", "心悸", "行走困难"]
_EXAM = ["血压165/95mmHg", "双肺呼吸音粗", "心律不齐", "右侧肌力3级", "空腹血糖9.8mmol/L",
         "腰椎CT示L4/5椎间盘突出", "头颅MRI示多发腔隙性脑梗死", "心电图示房颤律", "肝功能异常"]


def _summary(rng) -> str:
    return _choice(rng, _SUMMARY).format(
        s=_choice(rng, _SYMPTOMS), d=_choice(rng, ["3天", "1周", "半月", "2月", "半年", "3年", "10余年"]),
        e=_choice(rng, _EXAM), p=_choice(rng, ["稳定", "好转", "较前加重", "平稳"]))


def _address_footer(cv: Canvas, st: Style, rng, ctx: dict) -> None:
    """Hospital address / phone line at the page bottom (realistic clutter)."""
    W, H = cv.size
    roads = ["人民路", "解放路", "中山路", "建设大道", "健康路", "文化路", "胜利路", "新华路"]
    txt = (f"地址：{_choice(rng, roads)}{int(rng.integers(1, 400))}号　"
           f"电话：0{int(rng.integers(10, 999))}-{int(rng.integers(10 ** 6, 10 ** 7)):07d}")
    y = H - rng.uniform(0.025, 0.045) * H
    cv.hline(ctx["mx"], W - ctx["mx"], y - st.body * 1.2, 1, st.ink)
    cv.text(W / 2, y, txt, st.font(st.body * 0.75), st.ink, anchor="ms", role="footer")


def _footer(cv: Canvas, st: Style, rng, ctx: dict) -> None:
    if rng.random() < 0.45:
        _address_footer(cv, st, rng, ctx)
    if rng.random() < 0.6:
        W, H = cv.size
        notes = _choice(rng, [
            "注：本证明书需加盖医院诊断证明专用章方有效，涂改无效。",
            "注：1.此证明仅作为病情证明，不作为其他用途。2.复印无效。",
            "备注：本诊断证明仅对本次就诊负责。",
        ])
        cv.text(ctx["mx"], H - rng.uniform(0.07, 0.1) * H, notes, st.font(st.body * 0.8), st.ink,
                role="footer")


def _cert_form(cv, st, rng, person, y, ctx) -> float:
    W, _ = cv.size
    mx = ctx["mx"]
    items = [(ctx["name_label"], person.name, "patient_name", person.name),
             ("性别", person.sex, "sex", person.sex),
             ("年龄", ctx["age_txt"], "age", str(ctx["age"])),
             (ctx["dept_label"], ctx["dept"], "department", ctx["dept"]),
             (ctx["rec_label"], ctx["recno"], "record_number", ctx["recno"])]
    if rng.random() < 0.4:
        items.append(("就诊日期", format_date(ctx["visit"], ctx["date_style"]), None, None))
    per_row = int(_choice(rng, [3, 3, 2]))
    y = _info_rows(cv, st, rng, mx, W - mx, y + st.body, items, per_row, underline=rng.random() < 0.4)
    if rng.random() < 0.7:
        cv.hline(mx, W - mx, y - st.body * 0.9, 2 if rng.random() < 0.5 else 1, st.ink)
    y += st.body * 1.2
    f = st.font(st.body * rng.uniform(1.0, 1.12))
    colon = _colon(rng)
    if rng.random() < 0.5:  # 病情摘要 paragraph
        runs = [Run(_choice(rng, ["病情摘要", "病史摘要", "简要病情"]) + colon, f, st.ink),
                Run(_summary(rng), f, st.ink)]
        y, _ = cv.flow(mx, y, W - 2 * mx, runs, st.body * 1.9, rng=rng)
        y += st.body * 2.4
    dlabel = _choice(rng, ["诊断", "临床诊断", "诊断意见", "疾病诊断"]) + colon
    same_line = rng.random() < 0.4
    cv.text(mx, y, dlabel, f, st.ink, role="label")
    lines = _diagnosis_lines(rng, ctx["diags"])
    x = mx + (f.getlength(dlabel) + 4 if same_line else st.body * 2)
    if not same_line:
        y += st.body * 2.0
    dboxes = []
    for ln in lines:
        dboxes.append(cv.text(x, y, ln, f, st.ink))
        y += st.body * rng.uniform(1.8, 2.2)
    cv.field("diagnosis", "；".join(ctx["diags"]), dboxes)
    y += st.body * 1.0
    alabel = _choice(rng, ["建议", "处理意见", "医嘱", "建议"]) + colon
    cv.text(mx, y, alabel, f, st.ink, role="label")
    ax = mx + f.getlength(alabel) + 4
    if rng.random() < 0.5:
        ax = mx + st.body * 2
        y += st.body * 2.0
    ab = cv.text(ax, y, ctx["advice"], f, st.ink)
    cv.field("advice", ctx["advice"], ab)
    y += st.body * rng.uniform(5, 9)
    y = _sign_and_date(cv, st, rng, y, ctx, W - mx)
    _footer(cv, st, rng, ctx)
    return y


def _cert_grid(cv, st, rng, person, y, ctx) -> float:
    W, _ = cv.size
    mx = ctx["mx"]
    f = st.font(st.body)
    colon = "" if rng.random() < 0.7 else _colon(rng)
    x0, x1 = mx, W - mx
    rule = st.ink
    rh = st.body * rng.uniform(2.3, 2.8)
    y0 = y + st.body * 0.5
    # row 1: name | sex | age ; row 2: dept | record no
    rows = [[(ctx["name_label"], person.name, "patient_name", person.name),
             ("性别", person.sex, "sex", person.sex),
             ("年龄", ctx["age_txt"], "age", str(ctx["age"]))],
            [(ctx["dept_label"], ctx["dept"], "department", ctx["dept"]),
             (ctx["rec_label"], ctx["recno"], "record_number", ctx["recno"]),
             ("民族", person.ethnicity, None, None)]]
    cw = (x1 - x0) / 3
    lw = st.body * 4.8
    yy = y0
    cv.hline(x0, x1, yy, 2, rule)
    for row in rows:
        for ci, (lab, val, key, norm) in enumerate(row):
            cx = x0 + ci * cw
            base = yy + rh * 0.5 + st.body * 0.36
            cv.text(cx + 8, base, _spaced(lab, rng, 0.3) + colon, f, st.ink, role="label")
            vb = cv.text(cx + lw + 4, base, val, f, st.ink)
            if key:
                cv.field(key, norm, vb)
            cv.vline(cx + lw, yy, yy + rh, 1, rule)
            if ci:
                cv.vline(cx, yy, yy + rh, 1, rule)
        yy += rh
        cv.hline(x0, x1, yy, 1, rule)
    # diagnosis block
    dh = st.body * rng.uniform(9, 12)
    base = yy + st.body * 1.6
    cv.text(x0 + 8, base, _choice(rng, ["诊断", "诊断意见", "临床诊断"]), f, st.ink, role="label")
    cv.vline(x0 + lw, yy, yy + dh, 1, rule)
    dboxes = []
    by = base
    for ln in _diagnosis_lines(rng, ctx["diags"]):
        dboxes.append(cv.text(x0 + lw + 12, by, ln, f, st.ink))
        by += st.body * 1.9
    cv.field("diagnosis", "；".join(ctx["diags"]), dboxes)
    yy += dh
    cv.hline(x0, x1, yy, 1, rule)
    ah = st.body * rng.uniform(5, 7)
    base = yy + st.body * 1.6
    cv.text(x0 + 8, base, _choice(rng, ["处理意见", "建议", "医嘱"]), f, st.ink, role="label")
    cv.vline(x0 + lw, yy, yy + ah, 1, rule)
    ab = cv.text(x0 + lw + 12, base, ctx["advice"], f, st.ink)
    cv.field("advice", ctx["advice"], ab)
    yy += ah
    cv.hline(x0, x1, yy, 2, rule)
    cv.vline(x0, y0, yy, 2, rule)
    cv.vline(x1, y0, yy, 2, rule)
    y = yy + st.body * rng.uniform(4, 7)
    y = _sign_and_date(cv, st, rng, y, ctx, W - mx, seal_over=_choice(rng, ["date", "sign"]))
    _footer(cv, st, rng, ctx)
    return y


def _cert_sentence(cv, st, rng, person, y, ctx) -> float:
    W, _ = cv.size
    mx = ctx["mx"]
    f = st.font(st.body * rng.uniform(1.05, 1.2))
    hand = rng.random() < 0.6
    if hand:
        kspec = F.pick("kai", rng, person.name + ctx["dept"] + "".join(ctx["diags"]) + ctx["advice"])
        hf = F.load(kspec, f.size * rng.uniform(1.05, 1.25))
        hcol = ink(rng, "blue" if rng.random() < 0.6 else "black")
        jit = f.size * 0.05
    else:
        hf, hcol, jit = f, st.ink, 0.0
    pad = f.size * rng.uniform(0.4, 1.2)
    visit_txt = format_date(ctx["visit"], ctx["date_style"] if ctx["date_style"] != "hanzi" else "cn")

    def val(t, key):
        return Run(t, hf, hcol, key=key, underline=True, pad=pad, jitter=jit)

    runs = [Run("　　兹证明患者", f, st.ink), val(person.name, "patient_name"),
            Run("，性别", f, st.ink), val(person.sex, "sex"), Run("，", f, st.ink),
            val(str(ctx["age"]), "age"), Run("岁，于", f, st.ink), val(visit_txt, "visit_date"),
            Run("在我院", f, st.ink), val(ctx["dept"], "department"), Run("就诊", f, st.ink)]
    if rng.random() < 0.6:
        runs += [Run("（" + ctx["rec_label"], f, st.ink), val(ctx["recno"], "record_number"),
                 Run("）", f, st.ink)]
    runs += [Run("，经检查诊断为：", f, st.ink)]
    diag_txt = "；".join(ctx["diags"])
    runs += [val(diag_txt, "diagnosis"), Run("。", f, st.ink)]
    runs += [Run("建议：", f, st.ink), val(ctx["advice"].rstrip("。"), "advice"), Run("。", f, st.ink)]
    runs += [Run("\n", f), Run("　　特此证明。", f, st.ink)]
    line_h = f.size * rng.uniform(2.0, 2.5)
    y_end, keyed = cv.flow(mx, y + f.size * 1.5, W - 2 * mx, runs, line_h, rng=rng)
    norm = {"patient_name": person.name, "sex": person.sex, "age": str(ctx["age"]),
            "department": ctx["dept"], "record_number": ctx["recno"], "diagnosis": diag_txt,
            "advice": ctx["advice"].rstrip("。"), "visit_date": ctx["visit"].isoformat()}
    for k, boxes in keyed.items():
        cv.field(k, norm[k], boxes)
    y = y_end + f.size * rng.uniform(4, 7)
    y = _sign_and_date(cv, st, rng, y, ctx, W - mx)
    _footer(cv, st, rng, ctx)
    return y


# ------------------------------------------------------------------------------------------
# 检验报告单
# ------------------------------------------------------------------------------------------
def _unit_printed(u: str, rng, style: int) -> str:
    if "^" in u:
        base, rest = u.split("^", 1)
        exp, tail = rest.split("/", 1)
        return [f"10^{exp}/{tail}", f"×10^{exp}/{tail}", f"10*{exp}/{tail}",
                f"10{'⁹' if exp == '9' else '¹²'}/{tail}"][style]
    return u


def _range_printed(item, style: int) -> str:
    lo, hi, dec = item.low, item.high, item.decimals
    fmt = lambda v: f"{v:.{dec}f}" if dec else f"{v:g}"  # noqa: E731
    if item.qualitative:
        return ["阴性", "阴性(-)", "-", "Neg"][style]
    if lo is None and hi is not None:
        return f"<{fmt(hi)}"
    if hi is None and lo is not None:
        return f">{fmt(lo)}" if style % 2 == 0 else f"≥{fmt(lo)}"
    sep = ["-", "--", "～", "-"][style]
    return f"{fmt(lo)}{sep}{fmt(hi)}"


def _flag_printed(flag: str, style: str) -> str:
    if not flag:
        return ""
    return {"arrow": flag, "HL": "H" if flag == "↑" else "L",
            "cn": "高" if flag == "↑" else "低"}[style]


def render_lab_report(person: Person, rng: np.random.Generator, layout: str | None = None,
                      size: tuple[int, int] = PAGE_150DPI):
    """A 检验报告单 page; returns (RGB uint8, Truth with one 'lab_report')."""
    layout = layout or _choice(rng, list(LAB_LAYOUTS))
    W, H = size
    cv = Canvas((W, H), "lab_report", bg=_paper(rng))
    hospital = make_hospital(rng, person)
    n = int(rng.integers(8, 21)) if layout != "double" else int(rng.integers(14, 31))
    items, specimen, panels = make_lab_items(rng, person.sex, n=n)
    report = _recent_date(rng)
    age = age_on(person.birth_date, report)
    st = Style(rng, hospital + person.name + "".join(i.name for i in items), scale=1.0)
    st.body = rng.uniform(19, 23)
    mx = rng.uniform(0.05, 0.09) * W
    title = _choice(rng, ["检验报告单", "临床检验报告单", f"{panels[0]}检验报告单", "检验科报告单",
                          "医学检验报告单"])
    y = _header(cv, st, rng, hospital, title, rng.uniform(0.05, 0.08) * H)
    if rng.random() < 0.6:  # barcode top right
        _barcode(cv, rng, W - mx - 220, rng.uniform(0.02, 0.04) * H, 220, 50, st)
    dept = _choice(rng, ["内科", "心血管内科", "内分泌科", "肾内科", "门诊", "体检中心", "神经内科",
                         "老年病科", "急诊科", "呼吸内科"])
    recno = _record_number(rng)
    doctor = make_doctor(rng)
    clin = pick_diagnoses(rng, 1, sex=person.sex, age=age)[0][0]
    age_txt = f"{age}岁" if rng.random() < 0.7 else str(age)
    items_hdr = [
        (_choice(rng, ["姓名", "姓名", "患者姓名"]), person.name, "patient_name", person.name),
        ("性别", person.sex, "sex", person.sex),
        ("年龄", age_txt, "age", str(age)),
        (_choice(rng, ["标本种类", "标本类型", "样本类型", "标本"]), specimen, "specimen", specimen),
        (_choice(rng, ["科别", "科室", "送检科室"]), dept, "department", dept),
        (_choice(rng, ["床号", "床号"]), str(int(rng.integers(1, 60))) if rng.random() < 0.6 else "", None, None),
        (_choice(rng, ["病历号", "住院号", "门诊号", "ID号"]), recno, "record_number", recno),
        (_choice(rng, ["送检医生", "申请医生", "送检医师"]), doctor, None, None),
    ]
    if rng.random() < 0.5:
        items_hdr.append(("临床诊断", clin, None, None))
    if rng.random() < 0.5:
        items_hdr.append(("样本号", str(int(rng.integers(1, 999))), None, None))
    items_hdr = [it for it in items_hdr if it[1]]
    per_row = int(_choice(rng, [4, 4, 3]))
    y0 = y
    y = _info_rows(cv, st, rng, mx, W - mx, y + st.body * 0.6, items_hdr, per_row, joined_p=0.8)
    if layout == "compact":
        cv.draw.rectangle([mx - 6, y0 - st.body * 0.8, W - mx + 6, y - st.body * 1.2], outline=st.ink, width=1)
    y += st.body * 0.2

    flag_style = _choice(rng, ["arrow", "arrow", "HL", "cn"])
    unit_style = int(rng.integers(0, 4))
    range_style = int(rng.integers(0, 4))
    glued = layout == "compact" or rng.random() < 0.2
    tstyle = _choice(rng, ["three", "three", "grid", "lines", "none"])
    tf = st.font(st.body * rng.uniform(0.88, 1.0))
    hf = st.font(st.body * rng.uniform(0.9, 1.0), head=rng.random() < 0.5)
    row_h = tf.size * rng.uniform(1.55, 1.9)
    double = layout == "double"
    groups = [items[: (len(items) + 1) // 2], items[(len(items) + 1) // 2:]] if double else [items]
    total_w = W - 2 * mx
    gap = st.body * 1.2 if double else 0
    tw = (total_w - gap) / len(groups)

    truth_items, item_boxes, table_boxes = [], [], []
    cols = _lab_cols(tw, double, glued, rng)
    has_code = any(c.key == "code" for c in cols)
    seq = 0
    group_rows = []
    for grp in groups:
        rows = []
        for it in grp:
            seq += 1
            fl = _flag_printed(it.flag, flag_style)
            res = it.result + ((" " if rng.random() < 0.5 else "") + fl if glued and fl else "")
            cells = {"seq": str(seq), "name": it.name, "code": it.code, "result": res,
                     "flag": "" if glued else fl, "unit": _unit_printed(it.unit, rng, unit_style),
                     "range": _range_printed(it, range_style)}
            rows.append([cells[c.key] for c in cols])
            # the code is a value only where the page prints it (a 缩写 column)
            truth_items.append({"name": it.name, **({"code": it.code} if has_code else {}), "result": it.result,
                                "unit": cells["unit"], "reference_range": cells["range"],
                                "flag": it.flag})
        group_rows.append(rows)
    # column widths from the content; a smaller font when the page is too narrow
    all_rows = [r for rows in group_rows for r in rows]
    for _ in range(8):
        cols, fits = fit_columns(cols, all_rows, tf, hf, tw, pad=tf.size * 0.35)
        if fits:
            break
        tf = st.font(tf.size * 0.92)
        hf = st.font(hf.size * 0.92, head=True)
        row_h = tf.size * rng.uniform(1.55, 1.9)
    for gi, rows in enumerate(group_rows):
        tx = mx + gi * (tw + gap)
        t = cv.table(tx, y, cols, rows, tf, hf, row_h=row_h, header_h=row_h * 1.1, style=tstyle,
                     fill=st.ink, rule_fill=st.ink, pad=tf.size * 0.35)
        table_boxes.append(t["bbox"])
        for rb, rc in zip(t["row_bboxes"], t["cells"]):
            bs = [b for b in rc if b is not None]
            item_boxes.append(union(bs) if bs else rb)
        y_after = t["bottom"]
    y = y_after
    from ..truth import quad_from_bbox
    # field quads: the table(s); item_quads: one box per result row, in item order
    cv.field("items", truth_items, table_boxes, item_quads=[quad_from_bbox(b) for b in item_boxes])

    # footer: times and signatures
    y += st.body * rng.uniform(2.0, 4.0)
    f = st.font(st.body * 0.95)
    colon = _colon(rng)
    t_sample = dt.datetime.combine(report - dt.timedelta(days=int(rng.integers(0, 2))),
                                   dt.time(int(rng.integers(6, 11)), int(rng.integers(0, 60))))
    t_recv = t_sample + dt.timedelta(minutes=int(rng.integers(10, 120)))
    t_rep = dt.datetime.combine(report, dt.time(int(rng.integers(11, 18)), int(rng.integers(0, 60))))
    if t_rep < t_recv:
        t_rep = t_recv + dt.timedelta(minutes=int(rng.integers(30, 200)))
        report = t_rep.date()
    tfmt = _choice(rng, ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d %H:%M"])
    triples = [("采样时间", t_sample, None), ("接收时间", t_recv, None), ("报告时间", t_rep, "report_date")]
    colw = (W - 2 * mx) / 3
    for i, (lab, tval, key) in enumerate(triples):
        _, vb, _ = cv.label_value(mx + i * colw, y, lab + colon, tval.strftime(tfmt), f, f,
                                  lfill=st.ink, vfill=st.ink, joined=rng.random() < 0.7)
        if key:
            cv.field(key, t_rep.date().isoformat(), vb)
    y += st.body * 2.4
    checker, reviewer = make_doctor(rng), make_doctor(rng)
    for i, (lab, nm) in enumerate([(_choice(rng, ["检验者", "检验医师", "检验人"]), checker),
                                   (_choice(rng, ["审核者", "审核医师", "审核人"]), reviewer)]):
        x = mx + i * colw
        cv.text(x, y, lab + colon, f, st.ink, role="label")
        xx = x + f.getlength(lab + colon) + 6
        if rng.random() < 0.5:
            cv.signature(rng, xx, y, nm, st.body * 1.4)
        else:
            cv.text(xx, y, nm, f, st.ink)
    if rng.random() < 0.7:
        cv.text(W - mx, y + st.body * 2.4, _choice(rng, ["*本报告仅对所检测标本负责", "注：此结果仅对本次标本负责",
                                                     "本检验结果仅供临床参考"]),
                st.font(st.body * 0.8), st.ink, anchor="rs", role="footer")
    if rng.random() < 0.35:
        cv.seal(rng, W - mx - 150 + rng.normal(0, 40), y - st.body * 1 + rng.normal(0, 30),
                rng.uniform(80, 100), hospital, "检验专用章")
    cv.doc.meta = {"layout": layout, "dpi": 150, "flag_style": flag_style, "table_style": tstyle}
    return _finish(cv)


def _lab_cols(tw: float, double: bool, glued: bool, rng) -> list[Col]:
    # relative widths
    spec = [("seq", _choice(rng, ["序号", "No", "序"]), 0.06, "c"),
            ("name", _choice(rng, ["项目", "项目名称", "检验项目", "检测项目"]), 0.26, "l"),
            ("code", _choice(rng, ["缩写", "代号", "英文名称"]), 0.11, "l"),
            ("result", "结果", 0.11, "l"),
            ("flag", _choice(rng, ["提示", "标志", ""]), 0.06, "c"),
            ("unit", "单位", 0.13, "l"),
            ("range", _choice(rng, ["参考范围", "参考值", "参考区间"]), 0.17, "l")]
    if double:
        spec = [s for s in spec if s[0] != "seq" or rng.random() < 0.3]
        if rng.random() < 0.5:
            spec = [s for s in spec if s[0] != "code"]
    elif rng.random() < 0.15:
        spec = [s for s in spec if s[0] != "seq"]
    if glued:
        spec = [s for s in spec if s[0] != "flag"]
    total = sum(s[2] for s in spec)
    if double:  # names need room
        spec = [(k, h, w * (1.25 if k == "name" else 1.0), a) for k, h, w, a in spec]
        total = sum(s[2] for s in spec)
    return [Col(h, tw * w / total, a, key=k) for k, h, w, a in spec]


def _barcode(cv: Canvas, rng, x, y, w, h, st):
    xx = x
    while xx < x + w:
        bw = int(rng.integers(1, 4))
        if rng.random() < 0.55:
            cv.draw.rectangle([xx, y, xx + bw - 1, y + h], fill=st.ink)
        xx += bw
    num = str(int(rng.integers(10 ** 9, 10 ** 11)))
    cv.text(x + w / 2, y + h + st.body * 0.95, num, st.font(st.body * 0.75), st.ink, anchor="ms",
            role="value")
