"""出院记录 / 出院小结 on A4 (150 dpi, 1240 × 1754 px), one or more pages.

``render_discharge_summary_pages(person, rng, layout=None)`` returns a list of ``(RGB uint8, Truth)``
pages, each with one ``discharge_summary`` document holding the fields printed on that page
(``meta.part`` / ``meta.parts``).  A long summary runs onto a second page, which repeats a running
header (hospital, 姓名, 住院号: those fields are recorded on both pages) and carries 第N页.

Layouts:

- ``"record"``: 出院记录 with label：value rows (3–4 per row), then sections 入院诊断 / 出院诊断 (one
  line per diagnosis, numbered or not) and paragraphs 入院情况 / 诊疗经过 / 出院情况 / 出院医嘱.
- ``"grid"``: a ruled table for the patient block, dates and both diagnoses, paragraphs below.
- ``"narrative"``: 出院小结 with a single header band (姓名：… 性别：… 住院号：…) between rules and
  a fill-in sentence (患者…，因…于2024年3月2日入院，于…出院，共住院13天), sections numbered 一、二、….

Fields: hospital, patient_name, sex, age, department, record_number (住院号), admission_date,
discharge_date, admission_diagnosis, discharge_diagnosis, doctor; extra: length_of_stay (days, digits).
A red 病案复印专用章 (medical-records copy seal) lies over printed values on 60 % of the pages.
"""

from __future__ import annotations

import numpy as np

from ..facts import Stay, make_stay
from ..people import Person, _choice, age_on, make_doctor
from .layout import Canvas, Run, ink, union
from .medical import PAGE_150DPI, Style, _colon, _diagnosis_lines, _header, _paper, _spaced, format_date

__all__ = ["render_discharge_summary_pages", "render_discharge_summary", "DISCHARGE_LAYOUTS"]

DISCHARGE_LAYOUTS = ("record", "grid", "narrative")
_CN_SECTION = "一二三四五六七八九十"


def _wrap(text: str, font, first_w: float, w: float) -> list[str]:
    """Greedy character wrap (CJK text; ASCII runs are not split when they fit on a line)."""
    lines, cur, avail = [], "", first_w
    i = 0
    while i < len(text):
        j = i + 1
        if text[i].isascii() and text[i].isalnum():
            while j < len(text) and text[j].isascii() and (text[j].isalnum() or text[j] in ".%/"):
                j += 1
        tok = text[i:j]
        if font.getlength(cur + tok) <= avail or not cur:
            if font.getlength(tok) > avail and not cur:  # a very long token: split it
                tok = text[i]
                j = i + 1
            cur += tok
            i = j
            continue
        if tok in "，。；、：）” " and font.getlength(cur + tok) <= avail + font.size:  # no leading punctuation
            cur += tok
            i = j
            continue
        lines.append(cur)
        cur, avail = "", w
    if cur:
        lines.append(cur)
    return lines


class _Pager:
    """Pages of one summary: draws a running header on continuation pages, breaks before blocks."""

    def __init__(self, rng, person: Person, st: Style, ctx: dict):
        self.rng, self.person, self.st, self.ctx = rng, person, st, ctx
        self.W, self.H = PAGE_150DPI
        self.mx = ctx["mx"]
        self.bottom = self.H - ctx["mb"]
        self.canvases: list[Canvas] = []
        self.bg = _paper(rng)
        self.cv = self._new_canvas()
        self.y = 0.0

    def _new_canvas(self) -> Canvas:
        cv = Canvas((self.W, self.H), "discharge_summary", bg=self.bg)
        self.canvases.append(cv)
        return cv

    def need(self, h: float) -> None:
        if self.y + h > self.bottom:
            self.new_page()

    def new_page(self) -> None:
        self.cv = self._new_canvas()
        st, rng, ctx = self.st, self.rng, self.ctx
        f = st.font(st.body * 0.95)
        y = self.H * rng.uniform(0.04, 0.06)
        hb = self.cv.text(self.W / 2, y, ctx["hospital"] + ctx["title"], st.font(st.body * 1.2, head=True),
                          st.ink, anchor="ms", role="title", record=False)
        # hospital and title on one run: record the line, the hospital field is its left part
        self.cv.doc.add_line(ctx["hospital"] + ctx["title"], _q(hb), "title")
        frac = st.font(st.body * 1.2, head=True).getlength(ctx["hospital"]) / max(
            1.0, st.font(st.body * 1.2, head=True).getlength(ctx["hospital"] + ctx["title"]))
        self.cv.field("hospital", ctx["hospital"], (hb[0], hb[1], hb[0] + (hb[2] - hb[0]) * frac, hb[3]))
        y += st.body * 2.0
        colon = ctx["colon"]
        x = self.mx
        for lab, val, key in (("姓名", self.person.name, "patient_name"),
                              (ctx["rec_label"], ctx["recno"], "record_number"),
                              (ctx["dept_label"], ctx["dept"], None)):
            _, vb, end = self.cv.label_value(x, y, lab + colon, val, f, f, lfill=st.ink, vfill=st.ink,
                                             joined=True)
            if key:
                self.cv.field(key, val if key != "record_number" else ctx["recno"], vb)
            x = end + st.body * 2.5
        self.cv.hline(self.mx, self.W - self.mx, y + st.body * 0.6, 1, st.ink)
        self.y = y + st.body * 2.4

    def footers(self) -> None:
        n = len(self.canvases)
        style = self.ctx["page_style"]
        for i, cv in enumerate(self.canvases, 1):
            if style == "none" and n == 1:
                continue
            txt = {"of": f"第{i}页 共{n}页", "slash": f"第{i}页/共{n}页", "none": f"第 {i} 页",
                   "dash": f"- {i} -"}[style]
            cv.text(self.W / 2, self.H - self.ctx["mb"] * 0.45, txt, self.st.font(self.st.body * 0.8),
                    self.st.ink, anchor="ms", role="footer")


def _q(bb):
    from ..truth import quad_from_bbox
    return quad_from_bbox(bb)


def render_discharge_summary_pages(person: Person, rng: np.random.Generator, layout: str | None = None,
                                   length: float | None = None):
    """A 出院记录 / 出院小结 over one or more pages; returns [(RGB uint8, Truth), ...]."""
    from ..people import make_hospital
    layout = layout or _choice(rng, list(DISCHARGE_LAYOUTS))
    if layout not in DISCHARGE_LAYOUTS:
        raise ValueError(f"unknown discharge layout {layout!r}")
    hospital = make_hospital(rng, person)
    if length is None:
        length = float(rng.uniform(0.8, 1.4) if rng.random() < 0.6 else rng.uniform(1.8, 2.6))
    stay = make_stay(rng, person, length)
    doctor = make_doctor(rng)
    senior = make_doctor(rng)
    age = age_on(person.birth_date, stay.admission)
    st = Style(rng, hospital + person.name + "".join(stay.admission_diagnoses + stay.discharge_diagnoses)
               + stay.admission_text + stay.course_text + stay.discharge_text + "".join(stay.orders)
               + doctor + senior + stay.department)
    st.body = rng.uniform(19, 23)
    title = ("出院小结" if layout == "narrative" and rng.random() < 0.7
             else _choice(rng, ["出院记录", "出院记录", "出院小结", "出 院 记 录"]))
    ctx = dict(hospital=hospital, title=title.replace(" ", ""), mx=rng.uniform(0.07, 0.1) * PAGE_150DPI[0],
               mb=rng.uniform(0.05, 0.07) * PAGE_150DPI[1], colon=_colon(rng),
               rec_label=_choice(rng, ["住院号", "住院号", "病案号", "住院号码"]),
               dept_label=_choice(rng, ["科别", "科室", "病区"]), dept=stay.department,
               recno=str(int(rng.integers(10 ** 5, 10 ** 8))) if rng.random() < 0.7 else
               f"ZY{int(rng.integers(10 ** 6, 10 ** 9))}",
               date_style=_choice(rng, ["cn", "cn0", "dash", "dash", "slash"]),
               page_style=_choice(rng, ["of", "slash", "none", "dash"]),
               age=age, age_txt=f"{age}岁" if rng.random() < 0.8 else str(age))
    pg = _Pager(rng, person, st, ctx)
    pg.y = _header(pg.cv, st, rng, hospital, title, rng.uniform(0.05, 0.07) * PAGE_150DPI[1])
    if layout == "record":
        _block_record(pg, person, stay)
    elif layout == "grid":
        _block_grid(pg, person, stay)
    else:
        _block_narrative(pg, person, stay)
    _sections(pg, stay, layout)
    _signature(pg, stay, doctor, senior)
    pg.footers()
    out = []
    n = len(pg.canvases)
    for i, cv in enumerate(pg.canvases, 1):
        if rng.random() < 0.6:
            _records_seal(cv, rng, hospital, st)
        cv.doc.meta = {"layout": layout, "dpi": 150, "part": i, "parts": n}
        out.append((cv.to_array(), cv.truth()))
    return out


def render_discharge_summary(person: Person, rng: np.random.Generator, layout: str | None = None):
    """Only the first page (``(RGB uint8, Truth)``), for callers that want one image."""
    return render_discharge_summary_pages(person, rng, layout)[0]


# ------------------------------------------------------------------------------------------
# blocks
# ------------------------------------------------------------------------------------------
def _date_txt(d, ctx) -> str:
    return format_date(d, ctx["date_style"])


def _info_pairs(pg: _Pager, person: Person, stay: Stay):
    c = pg.ctx
    days_txt = f"{stay.days}天" if pg.rng.random() < 0.85 else f"{stay.days}"
    return [
        (_choice(pg.rng, ["姓名", "姓名", "患者姓名"]), person.name, "patient_name", person.name),
        ("性别", person.sex, "sex", person.sex),
        ("年龄", c["age_txt"], "age", str(c["age"])),
        (c["dept_label"], stay.department, "department", stay.department),
        ("床号", stay.bed, None, None),
        (c["rec_label"], c["recno"], "record_number", c["recno"]),
    ], [
        (_choice(pg.rng, ["入院日期", "入院日期", "入院时间"]), _date_txt(stay.admission, c), "admission_date",
         stay.admission.isoformat()),
        (_choice(pg.rng, ["出院日期", "出院日期", "出院时间"]), _date_txt(stay.discharge, c), "discharge_date",
         stay.discharge.isoformat()),
        ("住院天数", days_txt, "length_of_stay", str(stay.days)),
    ]


def _rows(pg: _Pager, items, per_row: int, joined: bool) -> None:
    st, rng, cv = pg.st, pg.rng, pg.cv
    col_w = (pg.W - 2 * pg.mx) / per_row
    f = st.font(st.body)
    lh = st.body * rng.uniform(1.9, 2.3)
    for i, (lab, val, key, norm) in enumerate(items):
        r, c = divmod(i, per_row)
        _, vb, _ = cv.label_value(pg.mx + c * col_w, pg.y + r * lh, _spaced(lab, rng, 0.2) + pg.ctx["colon"],
                                  val, f, f, lfill=st.ink, vfill=st.ink, joined=joined,
                                  gap=st.body * rng.uniform(0.0, 0.4))
        if key:
            cv.field(key, norm, vb)
    pg.y += ((len(items) + per_row - 1) // per_row) * lh


def _block_record(pg: _Pager, person: Person, stay: Stay) -> None:
    st, rng = pg.st, pg.rng
    patient, dates = _info_pairs(pg, person, stay)
    if rng.random() < 0.3:
        patient = [p for p in patient if p[0] != "床号"]
    pg.y += st.body * 0.8
    joined = rng.random() < 0.6
    _rows(pg, patient, int(_choice(rng, [3, 3, 4])), joined)
    if rng.random() < 0.7:
        pg.cv.hline(pg.mx, pg.W - pg.mx, pg.y - st.body * 1.1, 1, st.ink)
    pg.y += st.body * 0.6
    _rows(pg, dates, 3, joined)
    pg.y += st.body * 0.6


def _block_grid(pg: _Pager, person: Person, stay: Stay) -> None:
    st, rng, cv = pg.st, pg.rng, pg.cv
    patient, dates = _info_pairs(pg, person, stay)
    rows = [patient[:3], patient[3:], dates]
    x0, x1 = pg.mx, pg.W - pg.mx
    f = st.font(st.body)
    rh = st.body * rng.uniform(2.2, 2.7)
    cw = (x1 - x0) / 3
    lw = st.body * 4.9
    colon = "" if rng.random() < 0.7 else pg.ctx["colon"]
    yy = pg.y + st.body * 0.2
    y_top = yy
    cv.hline(x0, x1, yy, 2, st.ink)
    for row in rows:
        for ci, (lab, val, key, norm) in enumerate(row):
            cx = x0 + ci * cw
            base = yy + rh * 0.5 + st.body * 0.36
            cv.text(cx + 8, base, lab + colon, f, st.ink, role="label")
            vb = cv.text(cx + lw + 6, base, val, f, st.ink)
            if key:
                cv.field(key, norm, vb)
            cv.vline(cx + lw, yy, yy + rh, 1, st.ink)
            if ci:
                cv.vline(cx, yy, yy + rh, 1, st.ink)
        yy += rh
        cv.hline(x0, x1, yy, 1, st.ink)
    # both diagnoses in the grid, one line each
    for key, lab, diags in (("admission_diagnosis", _choice(rng, ["入院诊断", "入院诊断", "初步诊断"]),
                             stay.admission_diagnoses),
                            ("discharge_diagnosis", _choice(rng, ["出院诊断", "出院诊断", "最后诊断"]),
                             stay.discharge_diagnoses)):
        lines = _diagnosis_lines(rng, diags)
        lh = st.body * 1.8
        h = max(rh, len(lines) * lh + st.body * 0.9)
        base = yy + st.body * 1.45
        cv.text(x0 + 8, base, lab + colon, f, st.ink, role="label")
        boxes = [cv.text(x0 + lw + 10, base + i * lh, ln, f, st.ink) for i, ln in enumerate(lines)]
        cv.field(key, "；".join(diags), boxes)
        cv.vline(x0 + lw, yy, yy + h, 1, st.ink)
        yy += h
        cv.hline(x0, x1, yy, 1, st.ink)
    cv.vline(x0, y_top, yy, 2, st.ink)
    cv.vline(x1, y_top, yy, 2, st.ink)
    cv.hline(x0, x1, yy, 2, st.ink)
    pg.ctx["diagnoses_done"] = True
    pg.y = yy + st.body * 2.2


def _block_narrative(pg: _Pager, person: Person, stay: Stay) -> None:
    st, rng, cv = pg.st, pg.rng, pg.cv
    c = pg.ctx
    f = st.font(st.body * 0.95)
    colon = c["colon"]
    # one band: 姓名 性别 年龄 科室 床号 住院号
    y = pg.y + st.body * 0.4
    cv.hline(pg.mx, pg.W - pg.mx, y - st.body * 1.3, 1, st.ink)
    x = pg.mx
    gap = st.body * rng.uniform(1.0, 1.8)
    band = [("姓名", person.name, "patient_name", person.name), ("性别", person.sex, "sex", person.sex),
            ("年龄", c["age_txt"], "age", str(c["age"])), (c["dept_label"], stay.department, "department",
                                                          stay.department),
            ("床号", stay.bed, None, None), (c["rec_label"], c["recno"], "record_number", c["recno"])]
    total = sum(f.getlength(lab + colon + val) for lab, val, _, _ in band) + gap * (len(band) - 1)
    if total > pg.W - 2 * pg.mx:
        f = st.font(f.size * (pg.W - 2 * pg.mx) / total * 0.98)
        gap *= 0.9
    for lab, val, key, norm in band:
        _, vb, end = cv.label_value(x, y, lab + colon, val, f, f, lfill=st.ink, vfill=st.ink, joined=True)
        if key:
            cv.field(key, norm, vb)
        x = end + gap
    cv.hline(pg.mx, pg.W - pg.mx, y + st.body * 0.7, 1, st.ink)
    pg.y = y + st.body * 2.8
    # the fill-in sentence with the dates
    bf = st.font(st.body)
    adm, dis = _date_txt(stay.admission, c), _date_txt(stay.discharge, c)
    runs = [Run("　　患者" + person.name + "，" + person.sex + "，" + str(c["age"]) + "岁，因“" + stay.symptom
                + stay.duration + "”于", bf, st.ink),
            Run(adm, bf, st.ink, key="admission_date"), Run("入院，于", bf, st.ink),
            Run(dis, bf, st.ink, key="discharge_date"), Run("出院，共住院", bf, st.ink),
            Run(str(stay.days), bf, st.ink, key="length_of_stay"), Run("天。", bf, st.ink)]
    y_end, keyed = cv.flow(pg.mx, pg.y, pg.W - 2 * pg.mx, runs, st.body * 1.9, rng=rng)
    norm = {"admission_date": stay.admission.isoformat(), "discharge_date": stay.discharge.isoformat(),
            "length_of_stay": str(stay.days)}
    for k, boxes in keyed.items():
        cv.field(k, norm[k], boxes)
    pg.y = y_end + st.body * 2.4


def _heading(pg: _Pager, label: str, numbered: int | None) -> str:
    if numbered is None:
        return label + pg.ctx["colon"]
    style = pg.ctx["num_style"]
    if style == "cn":
        return f"{_CN_SECTION[numbered]}、{label}{pg.ctx['colon']}"
    return f"{numbered + 1}.{label}{pg.ctx['colon']}"


def _diag_section(pg: _Pager, key: str, label: str, diags: list[str], numbered: int | None) -> None:
    st, rng = pg.st, pg.rng
    f, hf = st.font(st.body), pg.ctx["hfont"]
    lines = _diagnosis_lines(rng, diags)
    lh = st.body * 1.85
    same_line = rng.random() < 0.45
    need = lh * (len(lines) + (0 if same_line else 1)) + st.body
    pg.need(need)
    head = _heading(pg, label, numbered)
    hb = pg.cv.text(pg.mx, pg.y, head, hf, st.ink, role="label")
    x = (hb[2] + st.body * 0.3) if same_line else pg.mx + st.body * 2
    y = pg.y if same_line else pg.y + lh
    boxes = []
    for ln in lines:
        boxes.append(pg.cv.text(x, y, ln, f, st.ink))
        y += lh
    pg.cv.field(key, "；".join(diags), boxes)
    pg.y = y + st.body * 0.6


def _para_section(pg: _Pager, label: str, text: str, numbered: int | None) -> None:
    st, rng = pg.st, pg.rng
    f, hf = st.font(st.body), pg.ctx["hfont"]
    lh = st.body * pg.ctx["para_lh"]
    head = _heading(pg, label, numbered)
    inline = pg.ctx["para_inline"]
    width = pg.W - 2 * pg.mx
    pg.need(lh * 2)
    if inline:
        hw = hf.getlength(head)
        lines = _wrap(text, f, width - hw - st.body * 0.2, width)
        for i, ln in enumerate(lines):
            if i:
                pg.need(lh)
            if i == 0:
                hb = pg.cv.text(pg.mx, pg.y, head, hf, st.ink, role="label", record=False)
                vb = pg.cv.text(pg.mx + hw + st.body * 0.2, pg.y, ln, f, st.ink, record=False)
                pg.cv.doc.add_line(head + ln, _q(union([hb, vb])), "value")
            else:
                pg.cv.text(pg.mx, pg.y, ln, f, st.ink)
            pg.y += lh
    else:
        pg.cv.text(pg.mx, pg.y, head, hf, st.ink, role="label")
        pg.y += lh
        lines = _wrap(text, f, width - st.body * 2, width)
        for i, ln in enumerate(lines):
            pg.need(lh)
            pg.cv.text(pg.mx + (st.body * 2 if i == 0 else 0), pg.y, ln, f, st.ink)
            pg.y += lh
    pg.y += st.body * 0.5


def _orders_section(pg: _Pager, label: str, orders: list[str], numbered: int | None) -> None:
    st = pg.st
    f, hf = st.font(st.body), pg.ctx["hfont"]
    lh = st.body * pg.ctx["para_lh"]
    width = pg.W - 2 * pg.mx
    pg.need(lh * 2)
    pg.cv.text(pg.mx, pg.y, _heading(pg, label, numbered), hf, st.ink, role="label")
    pg.y += lh
    for i, o in enumerate(orders, 1):
        item = f"{i}.{o}" + ("。" if not o.endswith("。") else "")
        for j, ln in enumerate(_wrap(item, f, width - st.body * 2, width - st.body * 3)):
            pg.need(lh)
            pg.cv.text(pg.mx + st.body * (2 if j == 0 else 3), pg.y, ln, f, st.ink)
            pg.y += lh
    pg.y += st.body * 0.5


def _sections(pg: _Pager, stay: Stay, layout: str) -> None:
    rng, st = pg.rng, pg.st
    pg.ctx["num_style"] = "cn" if layout == "narrative" else _choice(rng, ["none", "none", "arabic"])
    numbered = pg.ctx["num_style"] != "none"
    pg.ctx["hfont"] = st.font(st.body * rng.uniform(1.0, 1.08), head=rng.random() < 0.6)
    pg.ctx["para_lh"] = rng.uniform(1.7, 2.0)
    pg.ctx["para_inline"] = rng.random() < 0.55
    secs = []
    if not pg.ctx.get("diagnoses_done"):
        secs += [("diag", "admission_diagnosis", _choice(rng, ["入院诊断", "入院诊断", "初步诊断"]),
                  stay.admission_diagnoses)]
    secs += [("para", None, _choice(rng, ["入院情况", "入院情况", "入院时情况", "入院时主要症状及体征"]),
              stay.admission_text),
             ("para", None, _choice(rng, ["诊疗经过", "诊疗经过", "住院经过", "治疗经过"]), stay.course_text)]
    if not pg.ctx.get("diagnoses_done"):
        secs += [("diag", "discharge_diagnosis", _choice(rng, ["出院诊断", "出院诊断", "最后诊断"]),
                  stay.discharge_diagnoses)]
    secs += [("para", None, _choice(rng, ["出院情况", "出院情况", "出院时情况"]), stay.discharge_text),
             ("orders", None, _choice(rng, ["出院医嘱", "出院医嘱", "出院指导", "出院带药及医嘱"]), stay.orders)]
    if rng.random() < 0.5 and not pg.ctx.get("diagnoses_done"):  # diagnoses first, then the story
        secs = [s for s in secs if s[0] == "diag"] + [s for s in secs if s[0] != "diag"]
    for i, (kind, key, label, content) in enumerate(secs):
        n = i if numbered else None
        if kind == "diag":
            _diag_section(pg, key, label, content, n)
        elif kind == "para":
            _para_section(pg, label, content, n)
        else:
            _orders_section(pg, label, content, n)


def _signature(pg: _Pager, stay: Stay, doctor: str, senior: str) -> None:
    st, rng = pg.st, pg.rng
    f = st.font(st.body)
    colon = pg.ctx["colon"]
    pg.need(st.body * 5)
    y = pg.y + st.body * rng.uniform(1.0, 2.5)
    two = rng.random() < 0.5
    x = pg.W - pg.mx - pg.W * rng.uniform(0.36, 0.46) * (1.6 if two else 1.0)
    lab = _choice(rng, ["医师签名", "住院医师", "经治医师", "记录医师", "医生签名"]) + colon
    cv = pg.cv
    cv.text(x, y, lab, f, st.ink, role="label")
    sx = x + f.getlength(lab) + st.body * 0.4
    hand = rng.random() < 0.7
    if hand:
        sb = cv.signature(rng, sx, y + rng.normal(0, 2), doctor, st.body * rng.uniform(1.3, 1.6))
    else:
        sb = cv.text(sx, y, doctor, f, st.ink)
    cv.field("doctor", doctor, sb)
    if two:
        x2 = sx + st.body * 6
        lab2 = _choice(rng, ["上级医师", "主治医师", "审核医师"]) + colon
        cv.text(x2, y, lab2, f, st.ink, role="label")
        cv.signature(rng, x2 + f.getlength(lab2) + st.body * 0.4, y, senior, st.body * 1.4)
    if rng.random() < 0.6:
        y2 = y + st.body * 2.4
        d = stay.discharge
        lab3 = _choice(rng, ["日期", "记录日期", "书写时间"]) + colon
        cv.text(x, y2, lab3, f, st.ink, role="label")
        cv.text(x + f.getlength(lab3) + st.body * 0.3, y2, format_date(d, pg.ctx["date_style"]), f, st.ink)
        y = y2
    pg.y = y + st.body * 2


def _records_seal(cv: Canvas, rng, hospital: str, st: Style) -> None:
    """The records office's copy seal, over printed values (diagnoses, dates or the signature)."""
    lines = [ln for ln in cv.doc.lines if ln.role in ("value", "label", "handwriting")]
    if not lines:
        return
    ln = lines[int(rng.integers(len(lines)))]
    q = ln.quad
    cx = float(q[:, 0].mean() + rng.normal(0, 40))
    cy = float(q[:, 1].mean() + rng.normal(0, 20))
    W, H = cv.size
    r = rng.uniform(85, 115)
    cx = min(max(cx, r + 5), W - r - 5)
    cy = min(max(cy, r + 5), H - r - 5)
    bottom = _choice(rng, ["病案复印专用章", "病案管理专用章", "病历复印专用章", "医务科"])
    cv.seal(rng, cx, cy, r, hospital, bottom, color=ink(rng, "red"))
