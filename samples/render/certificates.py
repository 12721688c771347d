"""Civil-status documents: death certificate, household register page, disability certificate.

Each public renderer takes ``(person, rng, layout=None)`` and returns ``(RGB uint8, Truth)`` with one
document whose fields use the contract's names and normal forms.

- :func:`render_death_certificate` — 居民死亡医学证明(推断)书, A4 at 150 dpi (1240 × 1754).  Layouts
  ``"national"`` (the 2014 national form: ruled grid, ID number in 18 boxes, 死亡地点 ticked among
  printed options, causes Ⅰ(a)–(d) and Ⅱ with intervals; hand-filled 70 %), ``"hospital"`` (EMR print
  of the same content, printed values), ``"legacy"`` (older 居民死亡医学证明书: grid, then the causes
  written on ruled lines).  The issuing institution's red seal lies over 填表日期.
  Fields: deceased_name, sex, ethnicity, id_number, birth_date, death_date, place_of_death,
  cause_of_death (line Ⅰ(a)), institution, issue_date; extra: underlying_causes (Ⅰ(b)–(d), joined
  with ；).
- :func:`render_household_register` — 常住人口登记卡, a booklet page (about 105 × 143 mm at 10 px/mm,
  1050 × 1430 ± 10 %).  Layouts ``"standard"`` (computer print, values drifting off the rules),
  ``"handwritten"`` (older hand-filled card), ``"compact"`` (six-column rows, 公民身份号码 wording).
  Fields: name, relationship, sex, ethnicity, birth_date, birthplace, id_number, address; 曾用名,
  籍贯, 文化程度, 婚姻状况, 服务处所, 职业, 承办人签章, 登记日期 are printed but not fields.
- :func:`render_disability_certificate` — 中华人民共和国残疾人证 (second generation).  Layouts
  ``"booklet"`` (the information page, portrait, underlined rows, photo), ``"spread"`` (the open
  booklet, both pages), ``"card"`` (the card version, ID-1).  The card prints the short category
  (肢体) and 贰级-style levels; truth is always 肢体残疾 / 二级.  certificate_number = id_number +
  category digit + level digit.
"""

from __future__ import annotations

import datetime as dt
import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .. import fonts as F
from ..facts import (DISABILITY_CATEGORIES, EDUCATION, MARITAL, OCCUPATIONS, birthplace,
                     disability_certificate_number, disability_level_text, make_death_causes,
                     make_disability, make_relationship, make_workplace, native_place)
from ..people import TODAY, Person, _choice, age_on, make_doctor, make_hospital, make_name
from ..truth import quad_from_bbox
from .forms import Cell, Pen, current_ethnicity, draw_grid, fit_font
from .idcard import _portrait
from .layout import Canvas, ink, union
from .medical import PAGE_150DPI, _paper, format_date

__all__ = ["render_death_certificate", "render_household_register", "render_disability_certificate",
           "DEATH_LAYOUTS", "HOUSEHOLD_LAYOUTS", "DISABILITY_LAYOUTS"]

DEATH_LAYOUTS = ("national", "hospital", "legacy")
HOUSEHOLD_LAYOUTS = ("standard", "handwritten", "compact")
DISABILITY_LAYOUTS = ("booklet", "spread", "card")


def _eth_printed(eth: str, rng) -> str:
    return eth + "族" if rng.random() < 0.6 else eth


def _phone(rng) -> str:
    return "1" + str(int(_choice(rng, [3, 5, 7, 8, 9]))) + "".join(str(int(d)) for d in rng.integers(0, 10, 9))


# ------------------------------------------------------------------------------------------
# 居民死亡医学证明(推断)书
# ------------------------------------------------------------------------------------------
def _institution(rng, person: Person, place: str) -> str:
    if place in ("家中", "其他场所", "不详") and rng.random() < 0.7:
        town = person.township or person.county
        if town.endswith("街道"):
            return f"{person.county}{town[:-2]}社区卫生服务中心"
        return f"{person.county}{town}卫生院" if not town.endswith(("镇", "乡")) else f"{person.county}{town}卫生院"
    return make_hospital(rng, person)


def render_death_certificate(person: Person, rng: np.random.Generator, layout: str | None = None,
                             size: tuple[int, int] = PAGE_150DPI):
    """A 居民死亡医学证明(推断)书 page; returns (RGB uint8, Truth with one 'death_certificate')."""
    layout = layout or _choice(rng, list(DEATH_LAYOUTS))
    if layout not in DEATH_LAYOUTS:
        raise ValueError(f"unknown death certificate layout {layout!r}")
    W, H = size
    cv = Canvas((W, H), "death_certificate", bg=_paper(rng))
    dc = make_death_causes(rng, person)
    inst = _institution(rng, person, dc.place)
    doctor = make_doctor(rng)
    eth = current_ethnicity(person)
    age = age_on(person.birth_date, dc.death_date)
    relative = make_name(rng, "男" if rng.random() < 0.5 else "女", person.birth_date.year + 25)
    all_text = (inst + person.name + person.address + "".join(dc.chain + dc.other) + doctor + relative
                + "".join(OCCUPATIONS) + "".join(EDUCATION) + eth + "死亡医学证明推断书居民")
    hand = layout == "legacy" or (layout == "national" and rng.random() < 0.7)
    size0 = rng.uniform(19, 23)
    pen = Pen(rng, all_text + "一二三四五六七八九十年月日时分√（）()ⅠⅡ", size0, hand)
    pstyle = rng.random()
    if layout == "hospital":
        pen.label_spec = F.pick("sans" if pstyle < 0.5 else "serif", rng, all_text)
    mx = rng.uniform(0.05, 0.08) * W
    x0, x1 = mx, W - mx
    title = {"national": "居民死亡医学证明（推断）书", "hospital": _choice(rng, ["居民死亡医学证明（推断）书",
                                                                          "居民死亡医学证明(推断)书"]),
             "legacy": _choice(rng, ["居民死亡医学证明书", "死亡医学证明书"])}[layout]
    tspec = F.pick("serif" if rng.random() < 0.6 else "sans", rng, title, bold=True)
    tf = fit_font(tspec, title, rng.uniform(40, 50), W * 0.8)
    y = H * rng.uniform(0.05, 0.07)
    cv.text(W / 2, y, title, tf, ink(rng, "print"), anchor="ms", role="title",
            tracking=tf.size * rng.uniform(0.0, 0.15))
    y += tf.size * 0.8
    small = pen.lfont(pen.size * 0.95)
    # serial number and administrative code; the family's copy
    if layout != "hospital" or rng.random() < 0.5:
        part = _choice(rng, ["第二联", "第三联", "（第二联 死者家属保存）", "第四联"])
        cv.text(x0, y + small.size * 1.2, part, small, pen.label_ink, role="label")
    no = f"{int(rng.integers(10 ** 9, 10 ** 10))}"
    red = (int(rng.uniform(170, 210)), int(rng.uniform(20, 50)), int(rng.uniform(20, 50)))
    nb_lab = _choice(rng, ["编号：", "No.", "编号 "])
    nfont = F.load(F.pick("ocrb", rng), small.size * 1.05)
    cv.text(x1 - nfont.getlength(no) - small.getlength(nb_lab) - 4, y + small.size * 1.2, nb_lab, small,
            pen.label_ink, role="label")
    cv.text(x1, y + small.size * 1.2, no, nfont, red if rng.random() < 0.7 else pen.label_ink, anchor="rs",
            role="value")
    y += small.size * 2.4
    # the institution line
    inst_label = _choice(rng, ["医疗卫生机构名称", "填报单位", "医疗卫生机构", "机构名称"]) + "："
    lb = cv.text(x0, y + small.size, inst_label, small, pen.label_ink, role="label")
    if layout == "hospital" or rng.random() < 0.5:   # printed (or a rubber stamp of the name)
        ib = cv.text(lb[2] + 6, y + small.size, inst, F.load(pen.label_spec, small.size * 1.05),
                     ink(rng, "print"), role="value")
    else:
        ib = pen.write(cv, lb[2] + 8, y + small.size, inst, pen.vfont(small.size * 1.15))
    cv.field("institution", inst, ib)
    if layout != "legacy" and rng.random() < 0.6:
        code_lab = "行政区划代码："
        cx = x1 - small.getlength(code_lab) - small.size * 7.5
        cv.text(cx, y + small.size, code_lab, small, pen.label_ink, role="label")
        pen.write(cv, cx + small.getlength(code_lab) + 4, y + small.size, person.division_code[:6],
                  pen.vfont(small.size * 1.1))
    y += small.size * 2.2

    death_txt = format_date(dc.death_date, "cn" if hand else _choice(rng, ["cn", "cn0"]))
    if rng.random() < 0.7:
        death_txt += f"{dc.death_time[0]}时{dc.death_time[1]:02d}分" if rng.random() < 0.6 else \
            f" {dc.death_time[0]:02d}:{dc.death_time[1]:02d}"
    birth_txt = format_date(person.birth_date, "cn" if hand else _choice(rng, ["cn", "cn0", "dash"]))
    issue_txt = format_date(dc.issue_date, "cn" if hand else _choice(rng, ["cn", "cn0", "dash"]))
    sex_l = _choice(rng, ["性别", "性别"])
    name_l = _choice(rng, ["死者姓名", "姓名", "死者姓名"])
    id_l = _choice(rng, ["证件号码", "身份证号码", "公民身份号码"])
    eth_p = _eth_printed(eth, rng)
    marital = _choice(rng, MARITAL, [1, 6, 4, 1] if age > 50 else [4, 6, 1, 1])
    edu = _choice(rng, EDUCATION[:7])
    occ = _choice(rng, ["农民", "离退休人员", "工人", "无业人员", "专业技术人员", "商业、服务业人员"])
    rel_phone = _phone(rng)
    V = lambda t, w, key=None, norm=None, **kw: Cell(t, w, False, key, norm, **kw)  # noqa: E731
    L = lambda t, w, **kw: Cell(t, w, True, **kw)  # noqa: E731
    rh = pen.size * rng.uniform(2.4, 2.9)
    causes_norm = dc.chain[0]

    if layout in ("national", "hospital"):
        id_cell = (V(person.id_number, 4.2, "id_number", boxes=18) if layout == "national" and rng.random() < 0.75
                   else V(person.id_number, 4.2, "id_number"))
        rows = [
            (1, [L(name_l, 1.2), V(person.name, 1.5, "deceased_name"), L(sex_l, 0.7), V(person.sex, 0.6, "sex"),
                 L("民族", 0.7), V(eth_p, 0.9, "ethnicity", eth), L("国家或地区", 1.3), V("中国", 0.9)]),
            (1, [L("有效身份证件类别", 1.9), V("身份证", 1.0), L(id_l, 1.1), id_cell]),
            (1, [L("年龄", 0.7), V(f"{age}" + ("岁" if rng.random() < 0.5 else ""), 0.6), L("婚姻状况", 1.0),
                 V(marital, 0.8), L("出生日期", 1.0), V(birth_txt, 1.9, "birth_date", person.birth_date.isoformat()),
                 L("文化程度", 1.0), V(edu, 1.3)]),
            (1, [L("个人身份", 1.0), V(occ, 1.6), L(_choice(rng, ["死亡日期", "死亡日期", "死亡时间"]), 1.0),
                 V(death_txt, 3.4, "death_date", dc.death_date.isoformat())]),
        ]
        place_row = len(rows)
        if layout == "national" and rng.random() < 0.7:
            rows.append((1, [L("死亡地点", 1.0), Cell("", 7.0, False)]))   # options drawn below
            ticked = True
        else:
            rows.append((1, [L("死亡地点", 1.0), V(dc.place, 2.2, "place_of_death"),
                             L("死亡时是否处于妊娠期或妊娠终止后42天内", 3.6),
                             V("否" if person.sex == "女" else "——", 1.0)]))
            ticked = False
        rows += [
            (1, [L("生前工作单位", 1.3), V(make_workplace(rng, person) if rng.random() < 0.5 else "无", 5.0)]),
            (1.6, [L("户籍地址", 1.0), V(person.address, 3.4, wrap=2), L("常住地址", 1.0),
                   V(person.address if rng.random() < 0.8 else "同户籍地址", 3.4, wrap=2)]),
            (1, [L("可联系的家属姓名", 1.7), V(relative, 1.1), L("联系电话", 1.0), V(rel_phone, 1.7),
                 L("家属住址或工作单位", 1.9), V("同上" if rng.random() < 0.6 else person.county, 1.4)]),
        ]
        y, cells = draw_grid(cv, pen, x0, x1, y, rows, rh)
        if ticked:
            _place_options(cv, pen, cells[(place_row, 1)], dc.place)
        # causes
        hdr = [(1.1, [L("致死的主要疾病诊断", 3.6, align="c"), L("疾病名称（勿填写症状体征）", 3.2, align="c"),
                      L("发病至死亡大概间隔时间", 2.2, align="c")])]
        labels = ["Ⅰ.（a）直接死亡原因", "（b）引起（a）的疾病或情况", "（c）引起（b）的疾病或情况",
                  "（d）引起（c）的疾病或情况"]
        crow = []
        for k, lab in enumerate(labels):
            dis = dc.chain[k] if k < len(dc.chain) else ""
            iv = dc.intervals[k] if k < len(dc.intervals) else ""
            crow.append((1, [L(lab, 3.6), V(dis, 3.2, "cause_of_death" if k == 0 else f"_cause_{k}", dis),
                             V(iv, 2.2)]))
        crow.append((1.3, [L("Ⅱ.其他疾病诊断（促进死亡，但与导致死亡无关的其他重要情况）", 3.6),
                           V("；".join(dc.other), 5.4)]))
        crow.append((1, [L("生前主要疾病最高诊断单位", 2.4), V(dc.unit, 2.4), L("生前主要疾病最高诊断依据", 2.4),
                         V(dc.basis, 1.8)]))
        sign_row = len(hdr) + len(crow)
        crow.append((1.8, [L("医师签名", 1.0), Cell("", 1.8, False), L("医疗卫生机构盖章", 1.6),
                           Cell("", 2.0, False), L(_choice(rng, ["填表日期", "填表日期", "填报日期"]), 1.0),
                           V(issue_txt, 2.0, "issue_date", dc.issue_date.isoformat())]))
        y, cells2 = draw_grid(cv, pen, x0, x1, y + rh * 0.3, hdr + crow, rh)
        sign_cell = cells2[(sign_row, 1)]
        stamp_cell = cells2[(sign_row, 3)]
        date_cell = cells2[(sign_row, 5)]
    else:  # legacy: a 3-pair grid, causes on ruled lines
        rows = [
            (1, [L(name_l, 1.0), V(person.name, 1.4, "deceased_name"), L(sex_l, 0.7), V(person.sex, 0.7, "sex"),
                 L("民族", 0.7), V(eth_p, 1.0, "ethnicity", eth)]),
            (1, [L("出生日期", 1.0), V(birth_txt, 2.1, "birth_date", person.birth_date.isoformat()),
                 L("身份证号", 1.0), V(person.id_number, 2.5, "id_number")]),
            (1, [L("死亡日期", 1.0), V(death_txt, 2.1, "death_date", dc.death_date.isoformat()),
                 L("死亡地点", 1.0), V(dc.place, 2.5, "place_of_death")]),
            (1.6, [L("户籍地址", 1.0), V(person.address, 5.6, wrap=2)]),
            (1, [L("职业", 1.0), V(occ, 2.1), L("文化程度", 1.0), V(edu, 2.5)]),
        ]
        y, _ = draw_grid(cv, pen, x0, x1, y, rows, rh)
        y += rh * 1.2
        lf = pen.lfont()
        cv.text(x0, y, "致死的主要疾病诊断：", pen.lfont(pen.size * 1.1), pen.label_ink, role="label")
        y += rh
        labels = ["Ⅰ.直接导致死亡的疾病或情况（a）", "引起（a）的疾病或情况（b）", "引起（b）的疾病或情况（c）"]
        for k, lab in enumerate(labels):
            lb = cv.text(x0 + pen.size, y, lab, lf, pen.label_ink, role="label")
            lx0 = lb[2] + 8
            cv.hline(lx0, x1 - pen.size * 9, y + 4, 1, pen.rule)
            cv.text(x1 - pen.size * 8.5, y, "间隔", lf, pen.label_ink, role="label")
            cv.hline(x1 - pen.size * 6, x1, y + 4, 1, pen.rule)
            if k < len(dc.chain):
                vb = pen.write(cv, lx0 + pen.size, y - 2, dc.chain[k])
                cv.field("cause_of_death" if k == 0 else f"_cause_{k}", dc.chain[k], vb)
                pen.write(cv, x1 - pen.size * 5.5, y - 2, dc.intervals[k])
            y += rh
        lb = cv.text(x0 + pen.size, y, "Ⅱ.其他疾病诊断", lf, pen.label_ink, role="label")
        cv.hline(lb[2] + 8, x1, y + 4, 1, pen.rule)
        if dc.other:
            pen.write(cv, lb[2] + 8 + pen.size, y - 2, "；".join(dc.other))
        y += rh * 1.6
        sign_cell = (x0, y - rh * 0.8, x0 + (x1 - x0) * 0.4, y + rh * 0.4)
        cv.text(x0, y, "医师签名：", lf, pen.label_ink, role="label")
        stamp_cell = (x0 + (x1 - x0) * 0.4, y - rh, x0 + (x1 - x0) * 0.65, y + rh)
        dlab = _choice(rng, ["填表日期：", "签发日期：", "日期："])
        dl = cv.text(x0 + (x1 - x0) * 0.6, y, dlab, lf, pen.label_ink, role="label")
        db = pen.write(cv, dl[2] + 8, y, issue_txt)
        cv.field("issue_date", dc.issue_date.isoformat(), db)
        date_cell = db
        y += rh
    # signature, seal over the issue date
    sx0, sy0, sx1, sy1 = sign_cell
    base = (sy0 + sy1) / 2 + pen.size * 0.45 if layout != "legacy" else sy1 - rh * 0.4
    off = 0 if layout != "legacy" else pen.size * 5.5
    cv.signature(rng, sx0 + off + pen.size * 0.6, base, doctor, pen.size * rng.uniform(1.3, 1.6))
    tx0, ty0, tx1, ty1 = date_cell
    r = rng.uniform(85, 105)
    cx = (tx0 + tx1) / 2 + rng.normal(0, r * 0.3)
    cy = (ty0 + ty1) / 2 + rng.normal(0, r * 0.2)
    if rng.random() < 0.25:  # stamped in its own cell, still reaching the date
        cx = (stamp_cell[0] + stamp_cell[2]) / 2 + r * 0.6
    cv.seal(rng, cx, cy, r, inst, _choice(rng, ["死亡证明专用章", "医学证明专用章", "", "公章"]))
    # notes
    if rng.random() < 0.7:
        note = _choice(rng, ["注：此联由死者家属保存，凭此办理户籍注销及殡葬等手续。",
                             "说明：本证明书由医疗卫生机构填写，涂改无效。",
                             "注：1.此证明不得涂改；2.死者家属凭此联到公安机关办理户籍注销。"])
        nf = fit_font(pen.label_spec, note, pen.size * 0.85, x1 - x0)
        cv.text(x0, min(H - 30, y + rh * 1.2), note, nf, pen.label_ink, role="footer")
    fields = cv.doc.fields
    parts = [fields.pop(k) for k in sorted(k for k in list(fields) if k.startswith("_cause_"))]
    if parts:  # extra field: the conditions leading to the direct cause, Ⅰ(b)–(d)
        cv.doc.set_field("underlying_causes", "；".join(p.value for p in parts), [q for p in parts for q in p.quads])
    cv.doc.meta = {"layout": layout, "dpi": 150, "handwritten": hand}
    return cv.to_array(), cv.truth()


def _place_options(cv: Canvas, pen: Pen, cell, place: str) -> None:
    """1.医疗卫生机构 2.来院途中 … with a handwritten tick (or circle) on the chosen one."""
    rng = pen.rng
    from ..facts import PLACES_OF_DEATH
    x0, y0, x1, y1 = cell
    f = fit_font(pen.label_spec, "□6.不详 " * 1 + "".join(f"□{i}.{p}  " for i, p in enumerate(PLACES_OF_DEATH, 1)),
                 pen.size, x1 - x0 - 16)
    x = x0 + 8
    base = (y0 + y1) / 2 + f.size * 0.36
    mark = "tick" if rng.random() < 0.7 else "circle"
    col = ink(rng, "blue" if rng.random() < 0.6 else "black")
    for i, p in enumerate(PLACES_OF_DEATH, 1):
        box = f"□{i}."
        bb = cv.text(x, base, box, f, pen.label_ink, role="label", record=False)
        tb = cv.text(x + f.getlength(box), base, p, f, pen.label_ink, record=False)
        chosen = p == place
        cv.doc.add_line(box + p, quad_from_bbox(union([bb, tb])), "value" if chosen else "label")
        if chosen:
            cv.field("place_of_death", place, tb)
            s = f.size
            bx = bb[0] + s * 0.45
            by = base - s * 0.35
            if mark == "tick":
                cv.draw.line([(bx - s * 0.35, by), (bx - s * 0.05, by + s * 0.35), (bx + s * 0.55, by - s * 0.6)],
                             fill=col, width=max(2, int(s / 8)))
            else:
                cv.draw.ellipse([tb[0] - s * 0.4, tb[1] - s * 0.35, tb[2] + s * 0.4, tb[3] + s * 0.35], outline=col,
                                width=max(2, int(s / 10)))
        x += f.getlength(box + p) + f.size * 1.0


# ------------------------------------------------------------------------------------------
# 常住人口登记卡
# ------------------------------------------------------------------------------------------
def render_household_register(person: Person, rng: np.random.Generator, layout: str | None = None,
                              width: int | None = None):
    """A 常住人口登记卡 page; returns (RGB uint8, Truth with one 'household_register')."""
    layout = layout or _choice(rng, list(HOUSEHOLD_LAYOUTS))
    if layout not in HOUSEHOLD_LAYOUTS:
        raise ValueError(f"unknown household register layout {layout!r}")
    W = int(width or rng.uniform(950, 1150))
    H = int(W * rng.uniform(1.33, 1.40))
    bg = np.array([rng.uniform(238, 252), rng.uniform(236, 250), rng.uniform(225, 245)])
    page = np.empty((H, W, 3), np.float32)
    page[:] = bg
    # faint security print: fine wavy lines
    yy, xx = np.mgrid[0:H:2, 0:W:2].astype(np.float32)
    wave = (np.sin(xx * rng.uniform(0.05, 0.09) + 6 * np.sin(yy * rng.uniform(0.01, 0.02))) > 0.92).astype(np.float32)
    wave = cv2.resize(wave, (W, H)) * rng.uniform(4, 9)
    page -= wave[..., None] * np.array([0.6, 0.3, 0.9])
    cv = Canvas(np.clip(page, 0, 255).astype(np.uint8), "household_register")
    rel = make_relationship(rng, person)
    eth = current_ethnicity(person)
    bplace = birthplace(rng, person)
    native = native_place(rng, person)
    age = person.age
    edu = _choice(rng, EDUCATION) if age >= 16 else _choice(rng, ["小学", "初中", ""])
    marital = (_choice(rng, MARITAL, [1, 7, 2, 1]) if age >= 22 else "未婚") if age >= 16 else ""
    occ = _choice(rng, OCCUPATIONS) if age >= 16 else "学生"
    work = make_workplace(rng, person) if age >= 18 else ""
    officer = make_name(rng, "男" if rng.random() < 0.5 else "女", 1975)
    reg = person.valid_from - dt.timedelta(days=int(rng.integers(30, 6000)))
    reg = max(reg, person.birth_date + dt.timedelta(days=int(rng.integers(5, 60))))
    reg = min(reg, TODAY)
    txt = person.name + bplace + native + person.address + work + officer + occ + edu + marital + rel + eth
    hand = layout == "handwritten"
    size = W / rng.uniform(46, 54)
    pen = Pen(rng, txt + "常住人口登记卡户主或与关系曾用名性别出生地民族籍贯日期本市县其他住址宗教信仰公民身份证件编号身高血型"
              "文化程度婚姻状况兵役服务处所职业何时由何地迁来址承办人签章登记年月日号码", size, hand)
    if not hand:
        pen.value_spec = F.pick("sans" if rng.random() < 0.5 else "serif", rng, txt)
    pen.rule = (int(rng.uniform(120, 170)), int(rng.uniform(60, 100)), int(rng.uniform(60, 100))) \
        if rng.random() < 0.5 else (60, 60, 60)
    pen.label_ink = pen.rule if rng.random() < 0.7 else (40, 40, 40)
    mx = W * rng.uniform(0.05, 0.07)
    x0, x1 = mx, W - mx
    title = "常住人口登记卡"
    tf = F.load(F.pick("serif", rng, title, bold=True), W * rng.uniform(0.045, 0.055))
    y = H * rng.uniform(0.06, 0.08)
    cv.text(W / 2, y, title, tf, pen.label_ink, anchor="ms", role="title", tracking=tf.size * rng.uniform(0.3, 0.8))
    y += tf.size * 0.9
    birth_txt = (format_date(person.birth_date, "cn") if rng.random() < 0.7 else
                 format_date(person.birth_date, "cn0"))
    V = lambda t, w, key=None, norm=None, **kw: Cell(t, w, False, key, norm, **kw)  # noqa: E731
    L = lambda t, w, **kw: Cell(t, w, True, align="c", **kw)  # noqa: E731
    id_label = "公民身份号码" if layout == "compact" else _choice(rng, ["公民身份证件编号", "公民身份证件编号",
                                                                  "公民身份号码"])
    rel_label = _choice(rng, ["户主或与户主关系", "户主或与户主关系", "与户主关系"])
    addr_label = _choice(rng, ["住址", "户籍地址", "住址"])
    eth_p = _eth_printed(eth, rng)
    moved = "" if rng.random() < 0.6 else f"{reg.year}年{reg.month}月由{person.county}迁来"
    if layout in ("standard", "handwritten"):
        rows = [
            (1, [L("姓名", 1.0), V(person.name, 1.6, "name"), L(rel_label, 1.3), V(rel, 1.3, "relationship")]),
            (1, [L("曾用名", 1.0), V("", 1.6), L("性别", 1.3), V(person.sex, 1.3, "sex")]),
            (1, [L("出生地", 1.0), V(bplace, 1.6, "birthplace", wrap=2), L("民族", 1.3),
                 V(eth_p, 1.3, "ethnicity", eth)]),
            (1, [L("籍贯", 1.0), V(native, 1.6, wrap=2), L("出生日期", 1.3),
                 V(birth_txt, 1.3, "birth_date", person.birth_date.isoformat())]),
            (1.3, [L("本市（县）其他住址", 1.0), V("", 4.2)]),
            (1, [L("宗教信仰", 1.0), V("", 1.0), L(id_label, 1.3), V(person.id_number, 2.2, "id_number")]),
            (1, [L("身高", 0.6), V("", 0.5), L("血型", 0.6), V("", 0.5), L("文化程度", 0.9), V(edu, 1.1),
                 L("婚姻状况", 0.9), V(marital, 0.6), L("兵役状况", 0.9), V("", 0.5)]),
            (1, [L("服务处所", 1.0), V(work, 2.2, wrap=2), L("职业", 0.8), V(occ, 1.2)]),
            (1.3, [L("何时由何地迁来本市（县）", 1.4), V(moved, 3.8)]),
            (1.3, [L("何时由何地迁来本址", 1.4), V(moved, 3.8)]),
            (1.6, [L(addr_label, 1.0), V(person.address, 4.2, "address", wrap=2)]),
        ]
    else:
        rows = [
            (1, [L("姓名", 1.0), V(person.name, 1.4, "name"), L(rel_label, 1.3), V(rel, 1.0, "relationship"),
                 L("性别", 0.7), V(person.sex, 0.6, "sex")]),
            (1, [L("曾用名", 1.0), V("", 1.4), L("民族", 1.3), V(eth_p, 1.0, "ethnicity", eth),
                 L("血型", 0.7), V("", 0.6)]),
            (1, [L("出生日期", 1.0), V(birth_txt, 1.8, "birth_date", person.birth_date.isoformat()),
                 L("出生地", 0.9), V(bplace, 2.3, "birthplace", wrap=2)]),
            (1, [L("籍贯", 1.0), V(native, 1.8, wrap=2), L("宗教信仰", 0.9), V("", 2.3)]),
            (1, [L(id_label, 1.4), V(person.id_number, 2.6, "id_number"), L("身高", 0.8), V("", 1.2)]),
            (1.6, [L(addr_label, 1.0), V(person.address, 5.0, "address", wrap=2)]),
            (1, [L("文化程度", 1.0), V(edu, 1.2), L("婚姻状况", 1.0), V(marital, 0.9), L("兵役状况", 1.0),
                 V("", 0.9)]),
            (1, [L("服务处所", 1.0), V(work, 2.8, wrap=2), L("职业", 0.9), V(occ, 1.3)]),
            (1.3, [L("何时由何地迁来本市（县）", 1.6), V(moved, 4.4)]),
            (1.3, [L("何时由何地迁来本址", 1.6), V(moved, 4.4)]),
        ]
    # the grid fills the page down to the signature line
    rh = (H * rng.uniform(0.86, 0.9) - y - size * 4.5) / sum(m for m, _ in rows)
    rh = min(max(rh, size * 2.2), size * 4.2)
    if not hand:  # dot-matrix print: values drift as a block off the ruled lines
        drift = rng.normal(0, rh * 0.12)
    else:
        drift = 0.0
    ytop = y
    if drift:
        shifted = _values_shift(cv, pen, x0, x1, y, rows, rh, drift, rng)
        y = shifted
    else:
        y, _ = draw_grid(cv, pen, x0, x1, y, rows, rh)
    # bottom: 承办人签章 with a small square name stamp, 登记日期 with the round police seal
    lf = pen.lfont()
    yb = y + rh * 1.1
    cv.text(x0 + size * 0.5, yb, "承办人签章：", lf, pen.label_ink, role="label")
    sq = size * 2.2
    sx = x0 + size * 0.5 + lf.getlength("承办人签章：") + size * 0.5
    _name_stamp(cv, rng, sx, yb - sq * 0.8, sq, officer)
    dl = cv.text(x0 + (x1 - x0) * 0.55, yb, "登记日期：", lf, pen.label_ink, role="label")
    rd = format_date(reg, "cn")
    if hand:
        pen.write(cv, dl[2] + 6, yb, rd)
    else:
        cv.text(dl[2] + 6 + drift * 0.5, yb + drift, rd, pen.vfont(), pen.value_ink)
    station = (person.township[:-2] if person.township.endswith("街道") else person.township) or person.county
    seal_txt = f"{person.issuing_authority.split('公安局')[0]}公安局{station}派出所"
    r = W * rng.uniform(0.09, 0.11)
    cv.seal(rng, dl[2] + size * 3 + rng.normal(0, size), yb - size * 0.4 + rng.normal(0, size * 0.6), r,
            seal_txt, "户口专用章")
    cv.doc.meta = {"layout": layout, "px_per_mm": round(W / 105.0, 3), "handwritten": hand,
                   "drift_px": round(float(drift), 1)}
    return cv.to_array(), cv.truth()


def _values_shift(cv, pen, x0, x1, y, rows, rh, drift, rng):
    """Draw the printed grid, then the values as one print pass offset by ``drift`` (px, vertical)."""
    empty = [(m, [Cell(c.text, c.w, True, align=c.align) if c.label else Cell("", c.w, False) for c in cells])
             for m, cells in rows]
    bottom, boxes = draw_grid(cv, pen, x0, x1, y, empty, rh)
    dx = rng.normal(0, rh * 0.15)
    for ri, (m, cells) in enumerate(rows):
        for ci, c in enumerate(cells):
            if c.label or not c.text:
                continue
            bx0, by0, bx1, by1 = boxes[(ri, ci)]
            from .forms import _value_cell
            bb = _value_cell(cv, pen, c, bx0 + dx, by0 + drift, bx1 - bx0, by1 - by0, max(4.0, pen.size * 0.3))
            if c.key and bb is not None:
                cv.field(c.key, c.norm if c.norm is not None else c.text, bb)
    return bottom


def _name_stamp(cv: Canvas, rng, x, y, s, name: str) -> None:
    """A small square red personal seal (印章) with the name in 2×2 characters."""
    img = Image.new("L", (int(s) + 4, int(s) + 4), 0)
    d = ImageDraw.Draw(img)
    d.rectangle([2, 2, s, s], outline=255, width=max(2, int(s / 14)))
    chars = (name + "印")[:4] if len(name) < 4 else name[:4]
    f = F.load(F.pick("serif", rng, chars, bold=True), s * 0.4)
    pos = [(0.72, 0.3), (0.72, 0.72), (0.3, 0.3), (0.3, 0.72)]  # read right column first
    for ch, (px, py) in zip(chars, pos):
        d.text((px * s, py * s), ch, font=f, fill=255, anchor="mm")
    a = np.asarray(img, np.float32) / 255.0 * rng.uniform(0.6, 0.9)
    cv._stamps.append((a, ink(rng, "red"), int(x), int(y), "multiply"))
    cv.doc.add_line(name, quad_from_bbox((x, y, x + s, y + s)), "seal")


# ------------------------------------------------------------------------------------------
# 中华人民共和国残疾人证
# ------------------------------------------------------------------------------------------
def _federation(person: Person, rng) -> str:
    county = person.county
    if rng.random() < 0.25:
        return f"{person.city}残疾人联合会"
    if county.endswith("区") and len(county) >= 3 and person.city and person.city not in county:
        return f"{person.city}{county}残疾人联合会"
    return f"{county}残疾人联合会"


def render_disability_certificate(person: Person, rng: np.random.Generator, layout: str | None = None,
                                  alpha: bool = False, corner_bg=(252, 252, 252)):
    """A 残疾人证 information page, open booklet or card; returns (RGB[A] uint8, Truth)."""
    layout = layout or _choice(rng, list(DISABILITY_LAYOUTS))
    if layout not in DISABILITY_LAYOUTS:
        raise ValueError(f"unknown disability certificate layout {layout!r}")
    cat, level = make_disability(rng)
    number = disability_certificate_number(person.id_number, cat, level)
    lo = max(person.birth_date + dt.timedelta(days=400), dt.date(2008, 1, 1))
    issue = lo + dt.timedelta(days=int(rng.integers(0, max(1, (TODAY - lo).days))))
    fed = _federation(person, rng)
    ctx = dict(cat=cat, level=level, number=number, issue=issue, fed=fed, eth=current_ethnicity(person),
               guardian=make_name(rng, "女" if rng.random() < 0.5 else "男", person.birth_date.year - 25),
               phone=_phone(rng))
    if layout == "card":
        from .cards import render_disability_card
        return render_disability_card(person, rng, ctx, alpha=alpha, corner_bg=corner_bg)
    return _disability_booklet(person, rng, ctx, spread=layout == "spread")


def _booklet_bg(w: int, h: int, rng) -> np.ndarray:
    base = np.array([rng.uniform(240, 252), rng.uniform(236, 248), rng.uniform(218, 236)], np.float32)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    yy, xx = np.mgrid[0:h // 3 + 1, 0:w // 3 + 1].astype(np.float32)
    pat = 0.5 + 0.5 * np.sin(xx * 0.21 + 3 * np.sin(yy * 0.05)) * np.sin(yy * 0.17 + 2 * np.cos(xx * 0.03))
    pat = cv2.resize(pat, (w, h)) * rng.uniform(5, 12)
    img -= pat[..., None] * np.array([0.2, 0.6, 0.7], np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _disability_booklet(person: Person, rng, ctx: dict, spread: bool):
    pw = int(rng.uniform(820, 980))
    ph = int(pw * rng.uniform(1.36, 1.44))
    W = pw * 2 + (int(rng.uniform(8, 30)) if spread else 0)
    H = ph
    if not spread:
        W = pw
    cv = Canvas(_booklet_bg(W, H, rng), "disability_certificate")
    cat_full = DISABILITY_CATEGORIES[ctx["cat"]]
    lvl_style = _choice(rng, ["cn", "cn", "cap"])
    cat_printed = cat_full if rng.random() < 0.7 else cat_full[:-2]
    lvl_printed = disability_level_text(ctx["level"], lvl_style)
    txt = (person.name + person.address + ctx["fed"] + cat_full + lvl_printed + ctx["eth"] + ctx["guardian"]
           + "中华人民共和国残疾人证姓名性别民族出生日期身份证号残疾人证号类别等级住址监护人联系电话发证机关年月日")
    vspec = F.pick("sans" if rng.random() < 0.5 else "serif", rng, txt)
    lspec = F.pick("serif" if rng.random() < 0.6 else "sans", rng, txt)
    px0 = pw + (W - 2 * pw) if spread else 0  # the information page's left edge
    size = pw / rng.uniform(26, 31)
    lf, vf = F.load(lspec, size), F.load(vspec, size * rng.uniform(1.0, 1.1))
    lcol = ink(rng, "print")
    hand = rng.random() < 0.25
    vcol = ink(rng, "blue") if hand else ink(rng, "print")
    if hand:
        vspec = F.pick("kai", rng, txt)
        vf = F.load(vspec, size * 1.15)
    colon = "：" if rng.random() < 0.7 else ""
    if spread:
        # left page: title, emblem-like mark, issuing body and date with the federation's seal
        d = cv.draw
        d.rectangle([pw * 0.06, ph * 0.04, pw * 0.94, ph * 0.96], outline=(170, 40, 40), width=3)
        tf = F.load(F.pick("serif", rng, "中华人民共和国残疾人证", bold=True), pw * 0.07)
        cv.text(pw / 2, ph * 0.22, "中华人民共和国", tf, (160, 30, 30), anchor="ms", role="title")
        cv.text(pw / 2, ph * 0.22 + tf.size * 1.6, "残疾人证", F.load(F.pick("serif", rng, "残疾人证", bold=True),
                                                             pw * 0.1), (160, 30, 30), anchor="ms", role="title",
                tracking=pw * 0.02)
        _wheel_mark(d, pw / 2, ph * 0.5, pw * 0.1, (170, 40, 40))
        y = ph * 0.7
        _, vb, _ = cv.label_value(pw * 0.15, y, "发证机关" + colon, ctx["fed"], lf, vf, lfill=lcol, vfill=vcol,
                                  gap=size * 0.3)
        y += size * 2.6
        _, db, _ = cv.label_value(pw * 0.15, y, "发证日期" + colon, format_date(ctx["issue"], "cn"), lf, vf,
                                  lfill=lcol, vfill=vcol, gap=size * 0.3)
        cv.field("issue_date", ctx["issue"].isoformat(), db)
        cv.seal(rng, (db[0] + db[2]) / 2 + rng.normal(0, 20), (db[1] + db[3]) / 2 - size * 0.8, pw * 0.16,
                ctx["fed"], "")
        # the fold
        d.line([(pw + 2, 0), (pw + 2, H)], fill=(200, 195, 185), width=max(2, W - 2 * pw - 4))
    else:
        cv.draw.rectangle([pw * 0.04, ph * 0.03, pw * 0.96, ph * 0.97], outline=(170, 60, 60), width=2)
    # information page
    x0 = px0 + pw * rng.uniform(0.08, 0.11)
    x1 = px0 + pw * 0.92
    y = ph * rng.uniform(0.07, 0.09)
    if not spread:
        hf = F.load(F.pick("serif", rng, "中华人民共和国残疾人证", bold=True), size * 1.5)
        cv.text(px0 + pw / 2, y, "中华人民共和国残疾人证", hf, (150, 30, 30), anchor="ms", role="title")
        y += size * 1.6
    # photo top right with the federation's seal over its corner
    phw = pw * 0.28
    phx1 = x1
    phx0 = phx1 - phw
    phy0 = y
    _portrait(cv.img, (phx0, phy0, phx1, phy0 + phw * 1.3), rng, person.sex)
    cv.draw.rectangle([phx0, phy0, phx1, phy0 + phw * 1.3], outline=(120, 120, 120), width=1)
    lh = size * rng.uniform(2.2, 2.6)
    y += size * 1.2
    under = rng.random() < 0.6
    rows = [("姓名", person.name, "name", person.name),
            ("性别", person.sex, "sex", person.sex),
            ("民族", _eth_printed(ctx["eth"], rng), "ethnicity", ctx["eth"]),
            (_choice(rng, ["出生日期", "出生年月日", "出生日期"]), format_date(person.birth_date, _choice(rng, ["cn", "cn0", "dash"])),
             "birth_date", person.birth_date.isoformat()),
            (_choice(rng, ["身份证号", "身份证号码", "公民身份号码"]), person.id_number, "id_number", person.id_number),
            (_choice(rng, ["残疾人证号", "证号", "残疾人证号"]), ctx["number"], "certificate_number", ctx["number"]),
            (_choice(rng, ["残疾类别", "类别"]), cat_printed, "disability_category", cat_full),
            (_choice(rng, ["残疾等级", "等级"]), lvl_printed, "disability_level", disability_level_text(ctx["level"])),
            (_choice(rng, ["住址", "户籍地址", "地址"]), person.address, "address", person.address)]
    if rng.random() < 0.5:
        rows.append(("监护人", ctx["guardian"] if rng.random() < 0.5 else "", None, None))
    if rng.random() < 0.5:
        rows.append(("联系电话", ctx["phone"], None, None))
    if not spread:
        rows += [("发证机关", ctx["fed"], None, None),
                 ("发证日期", format_date(ctx["issue"], _choice(rng, ["cn", "cn0"])), "issue_date",
                  ctx["issue"].isoformat())]
    label_w = max(lf.getlength(r[0] + colon) for r in rows) + size * 0.6
    lh = min(lh, (ph * 0.93 - y - size * 0.5) / (len(rows) + 0.7))
    date_box = None
    for lab, val, key, norm in rows:
        right = phx0 - size * 0.6 if y < phy0 + phw * 1.3 + size * 0.5 else x1
        cv.text(x0, y, lab + colon, lf, lcol, role="label", tracking=0)
        vx = x0 + label_w
        f = vf
        avail = right - vx
        lines = [val]
        if val and f.getlength(val) > avail and key != "address":
            f = fit_font(vspec, val, f.size, avail)
        if val and f.getlength(val) > avail:
            cut = len(val)
            while cut > 1 and f.getlength(val[:cut]) > avail:
                cut -= 1
            lines = [val[:cut], val[cut:]]
            if f.getlength(lines[1]) > x1 - vx:
                f = fit_font(vspec, lines[1], f.size, x1 - vx)
        boxes = []
        for k, s in enumerate(lines):
            if not s:
                continue
            yy = y + k * min(size * 1.4, lh * 0.62)
            if hand:
                boxes.append(cv.text(vx + rng.normal(0, 3), yy + rng.normal(0, 2), s, f, vcol, jitter=size * 0.05,
                                     rng=rng, role="handwriting"))
            else:
                boxes.append(cv.text(vx, yy, s, f, vcol))
            if under:
                cv.hline(vx - 4, (right if k == 0 else x1), yy + size * 0.3, 1, (120, 110, 100))
        if key and boxes:
            cv.field(key, norm, boxes if len(boxes) > 1 else boxes[0])
        if key == "issue_date":
            date_box = boxes[0]
        y += lh + (min(size * 1.4, lh * 0.62) if len(lines) > 1 else 0)
    if date_box is not None:
        cv.seal(rng, (date_box[0] + date_box[2]) / 2 + rng.normal(0, 25), (date_box[1] + date_box[3]) / 2 - size * 0.6,
                pw * rng.uniform(0.14, 0.17), ctx["fed"], "")
    # a steel-seal (embossed, colourless) arc over the photo corner: a faint grey ring
    r = phw * 0.45
    cxp, cyp = phx0 + rng.uniform(0, phw * 0.3), phy0 + phw * 1.3 - rng.uniform(0, phw * 0.3)
    cv.draw.arc([cxp - r, cyp - r, cxp + r, cyp + r], 0, 360, fill=(170, 165, 160), width=2)
    cv.doc.meta = {"layout": "spread" if spread else "booklet", "category_printed": cat_printed,
                   "level_printed": lvl_printed, "handwritten": hand}
    return cv.to_array(), cv.truth()


def _wheel_mark(d: ImageDraw.ImageDraw, cx, cy, r, col) -> None:
    """A simple emblem placeholder: a ring with spokes (not the real federation logo)."""
    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=col, width=max(2, int(r / 10)))
    for k in range(8):
        a = k * math.pi / 4
        d.line([(cx, cy), (cx + r * math.cos(a), cy + r * math.sin(a))], fill=col, width=max(1, int(r / 16)))
    d.ellipse([cx - r * 0.25, cy - r * 0.25, cx + r * 0.25, cy + r * 0.25], fill=col)

