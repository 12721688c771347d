"""ID-1 cards other than the resident ID card: 社会保障卡, bank cards, the 残疾人证 card.

Cards are 85.6 × 54 mm (about 1012 × 638 px, ±30 %), drawn in millimetres on the card and returned
like the ID card renderers: ``(RGB or RGBA uint8, Truth)`` (``alpha=True``: transparent rounded
corners for placing the card on a page or a photo).

- :func:`render_social_security_card` — layouts ``"gen2"`` (blue second-generation card: chip,
  photo, 姓名 / 社会保障号码 / 社会保障卡号 / 发卡日期), ``"gen3"`` (white third-generation card with a
  coloured band, 有效期限 as well), ``"regional"`` (a province's or city's card: 卡号 wording,
  发卡日期 as ``2018.03`` / ``2018-03``).  Fields: name, social_security_number (= the ID number),
  card_number (a letter + 8 digits), issue_date (``YYYY-MM`` when only year and month are printed).
  A bank logo placeholder (a coloured mark and the bank's name) sits in a corner.
- :func:`render_bank_card` — layouts ``"embossed"`` (raised silver/gold digits with highlight and
  shadow, VALID THRU, holder's name in pinyin-like capitals), ``"flat"`` (printed digits on a light
  design), ``"back"`` (magnetic stripe, signature panel, number printed small, hotline).  Fields:
  bank, card_number (16–19 digits, Luhn-valid; printed in groups of 4, or 6 + 13).
- :func:`render_disability_card` — the card version of 残疾人证 (used by
  :func:`~samples.render.certificates.render_disability_certificate` with ``layout="card"``).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import ImageDraw

from .. import fonts as F
from ..facts import (DISABILITY_CATEGORIES, SOCIAL_SECURITY_BANKS, disability_level_text,
                     group_card_number, make_bank_card, make_social_security_card_number)
from ..people import TODAY, Person, _choice, _rand_date
from .idcard import CARD_MM, _finish, _portrait, card_size
from .layout import Canvas, union
from .medical import format_date

__all__ = ["render_social_security_card", "render_bank_card", "render_disability_card",
           "SOCIAL_SECURITY_LAYOUTS", "BANK_CARD_LAYOUTS", "bank_display_name"]

SOCIAL_SECURITY_LAYOUTS = ("gen2", "gen3", "regional")
BANK_CARD_LAYOUTS = ("embossed", "flat", "back")


def _gradient(w: int, h: int, c0, c1, rng, angle: float | None = None) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = rng.uniform(0, math.pi / 2) if angle is None else angle
    t = (xx / w * math.cos(a) + yy / h * math.sin(a))
    t = (t - t.min()) / max(1e-6, t.max() - t.min())
    c0 = np.asarray(c0, np.float32)
    c1 = np.asarray(c1, np.float32)
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]
    # fine guilloche-like lines
    v = np.sin(xx * rng.uniform(0.03, 0.06) + 8 * np.sin(yy * rng.uniform(0.01, 0.03)))
    img += (v[..., None] > 0.97) * rng.uniform(4, 12)
    return np.clip(img, 0, 255).astype(np.uint8)


def _chip(d: ImageDraw.ImageDraw, x, y, mm, rng) -> None:
    w, h = 11.5 * mm, 9.0 * mm
    gold = (int(rng.uniform(200, 225)), int(rng.uniform(165, 190)), int(rng.uniform(80, 120)))
    line = tuple(max(0, c - 60) for c in gold)
    d.rounded_rectangle([x, y, x + w, y + h], radius=1.5 * mm, fill=gold, outline=line, width=max(1, int(mm / 6)))
    for k in (1, 2):
        d.line([(x, y + k * h / 3), (x + w * 0.35, y + k * h / 3)], fill=line, width=max(1, int(mm / 8)))
        d.line([(x + w * 0.65, y + k * h / 3), (x + w, y + k * h / 3)], fill=line, width=max(1, int(mm / 8)))
    d.line([(x + w * 0.35, y), (x + w * 0.35, y + h)], fill=line, width=max(1, int(mm / 8)))
    d.line([(x + w * 0.65, y), (x + w * 0.65, y + h)], fill=line, width=max(1, int(mm / 8)))


def _unionpay(d: ImageDraw.ImageDraw, x, y, mm) -> None:
    """A placeholder for the UnionPay mark: three slanted coloured blocks and the word 银联."""
    w, h = 5.2 * mm, 8.0 * mm
    for k, col in enumerate([(220, 30, 40), (0, 70, 150), (0, 140, 130)]):
        x0 = x + k * w * 0.85
        d.polygon([(x0 + 1.2 * mm, y), (x0 + w + 1.2 * mm, y), (x0 + w - 1.2 * mm, y + h), (x0 - 1.2 * mm, y + h)],
                  fill=col)


def _bank_logo(cv: Canvas, x, y, mm, bank: str, color, rng, text_col=None, size=3.2) -> tuple:
    """A bank mark (a ring with a square, not a real logo) and the bank's name; returns the name's bbox."""
    r = size * 0.75 * mm
    d = cv.draw
    d.ellipse([x, y - r * 1.7, x + 2 * r, y + r * 0.3], outline=color, width=max(2, int(mm * 0.6)))
    d.rectangle([x + r * 0.6, y - r * 1.1, x + r * 1.4, y - r * 0.3], fill=color)
    spec = F.pick("serif" if rng.random() < 0.5 else "sans", rng, bank, bold=True)
    f = F.load(spec, size * mm)
    return cv.text(x + 2 * r + 1.2 * mm, y, bank, f, text_col or color, role="title")


def bank_display_name(bank: str, person: Person, rng) -> str:
    """Rural banks carry a place name: 湖南农村商业银行 / 长沙农村商业银行."""
    if bank in ("农村商业银行", "农村信用合作联社"):
        place = person.city or person.province
        for suf in ("市", "地区", "盟", "自治州"):
            if place.endswith(suf) and len(place) > len(suf) + 1:
                place = place[: -len(suf)]
                break
        if rng.random() < 0.4:
            prov = person.province
            for suf in ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区"):
                if prov.endswith(suf):
                    prov = prov[: -len(suf)]
                    break
            place = prov
        return place + bank
    return bank


# ------------------------------------------------------------------------------------------
# 社会保障卡
# ------------------------------------------------------------------------------------------
def _ss_issue_text(d, style: str) -> tuple[str, str]:
    if style == "ym_cn":
        return f"{d.year}年{d.month:02d}月", f"{d.year}-{d.month:02d}"
    if style == "ym_cn1":
        return f"{d.year}年{d.month}月", f"{d.year}-{d.month:02d}"
    if style == "ym_dot":
        return f"{d.year}.{d.month:02d}", f"{d.year}-{d.month:02d}"
    if style == "ym_dash":
        return f"{d.year}-{d.month:02d}", f"{d.year}-{d.month:02d}"
    return format_date(d, "cn0"), d.isoformat()


def render_social_security_card(person: Person, rng: np.random.Generator, layout: str | None = None,
                                width: int | None = None, alpha: bool = False, corner_bg=(252, 252, 252)):
    """The front of a 社会保障卡; returns (RGB or RGBA uint8, Truth with one 'social_security_card')."""
    import datetime as dt
    layout = layout or _choice(rng, list(SOCIAL_SECURITY_LAYOUTS))
    if layout not in SOCIAL_SECURITY_LAYOUTS:
        raise ValueError(f"unknown social security card layout {layout!r}")
    w, h = card_size(rng, width)
    mm = w / CARD_MM[0]
    bank = bank_display_name(_choice(rng, SOCIAL_SECURITY_BANKS), person, rng)
    lo = max(person.birth_date + dt.timedelta(days=30), dt.date(2011, 1, 1) if layout != "gen3" else dt.date(2021, 1, 1))
    issue = _rand_date(rng, min(lo, TODAY), TODAY)
    card_no = make_social_security_card_number(rng)
    if layout == "gen2":
        bg = _gradient(w, h, (214, 232, 246), (150, 195, 230), rng)
    elif layout == "gen3":
        bg = _gradient(w, h, (252, 252, 250), (236, 240, 246), rng)
    else:
        c = [(220, 236, 222), (236, 226, 210), (214, 226, 244)][int(rng.integers(3))]
        bg = _gradient(w, h, (250, 250, 250), c, rng)
    cv = Canvas(bg, "social_security_card")
    d = cv.draw
    ox, oy = rng.normal(0, 0.4, 2) * mm
    if layout == "gen3":  # a coloured band along the bottom
        pts = [(0, h * 0.9), (w * 0.35, h * 0.84), (w * 0.7, h * 0.9), (w, h * 0.8), (w, h), (0, h)]
        d.polygon(pts, fill=(int(rng.uniform(180, 220)), int(rng.uniform(40, 70)), int(rng.uniform(50, 80))))
        d.polygon([(0, h * 0.95), (w * 0.45, h * 0.9), (w, h * 0.93), (w, h), (0, h)], fill=(30, 90, 170))
    # title
    tcol = (20, 60, 140) if layout != "gen3" else (160, 30, 40)
    if layout == "regional":
        prov = person.province
        region = _choice(rng, [prov, person.city or prov])
        title = region + _choice(rng, ["社会保障卡", "社会保障·市民卡"]) if region != prov else prov + "社会保障卡"
    else:
        title = "中华人民共和国社会保障卡"
    tspec = F.pick("sans" if rng.random() < 0.6 else "serif", rng, title, bold=True)
    tf = F.load(tspec, rng.uniform(4.0, 4.6) * mm)
    while tf.getlength(title) > 52 * mm:
        tf = F.load(tspec, tf.size * 0.94)
    # emblem placeholder (a ring with a star-like cross), then the title
    ex, ey = 5.5 * mm + ox, 8.5 * mm + oy
    d.ellipse([ex - 3.3 * mm, ey - 3.3 * mm, ex + 3.3 * mm, ey + 3.3 * mm], outline=tcol, width=max(2, int(mm * 0.5)))
    d.line([(ex - 2 * mm, ey), (ex + 2 * mm, ey)], fill=tcol, width=max(2, int(mm * 0.6)))
    d.line([(ex, ey - 2 * mm), (ex, ey + 2 * mm)], fill=tcol, width=max(2, int(mm * 0.6)))
    cv.text(ex + 4.5 * mm, ey + tf.size * 0.38, title, tf, tcol, role="title")
    # bank logo top right, chip, photo
    bcol = (200, 30, 40) if "工商" in bank else (0, 120, 80) if ("农" in bank or "邮政" in bank) else (0, 70, 150)
    bfont_size = 2.6
    bw = F.load(F.pick("sans", rng, bank), bfont_size * mm).getlength(bank)
    bx = w - bw - 8.5 * mm + ox
    if layout == "gen3":
        _bank_logo(cv, bx, h - 4.2 * mm, mm, bank, bcol, rng, text_col=(250, 250, 250), size=bfont_size)
    else:
        _bank_logo(cv, bx, h - 4.0 * mm + oy, mm, bank, bcol, rng, size=bfont_size)
    _chip(d, 7.5 * mm + ox, 17.0 * mm + oy, mm, rng)
    px0, py0 = 60.0 * mm + ox, 15.0 * mm + oy
    _portrait(cv.img, (px0, py0, px0 + 19.5 * mm, py0 + 25 * mm), rng, person.sex)
    # fields
    lspec = F.pick("sans", rng, "姓名社会保障号码卡号发卡日期有效期限")
    vspec = F.pick("sans" if rng.random() < 0.7 else "serif", rng, person.name + "年月")
    lf = F.load(lspec, rng.uniform(2.3, 2.6) * mm)
    vf = F.load(vspec, rng.uniform(2.9, 3.3) * mm)
    nspec = F.pick("ocrb", rng) if rng.random() < 0.5 else vspec
    nf = F.load(nspec, rng.uniform(2.9, 3.2) * mm)
    lcol = (40, 60, 90)
    vcol = (15, 15, 20)
    x = 6.5 * mm + ox
    y = 31.5 * mm + oy
    step = rng.uniform(4.6, 5.1) * mm
    no_label = "社会保障卡号" if layout != "regional" else _choice(rng, ["卡号", "卡号", "社会保障卡号"])
    issue_txt, issue_norm = _ss_issue_text(issue, _choice(rng, ["ym_cn", "ym_cn", "ym_cn1", "ym_dot", "ym_dash", "full"])
                                           if layout == "regional" else _choice(rng, ["ym_cn", "ym_cn", "ym_cn1"]))
    rows = [("姓名", person.name, "name", person.name, vf),
            ("社会保障号码", person.id_number, "social_security_number", person.id_number, nf),
            (no_label, card_no, "card_number", card_no, nf),
            ("发卡日期", issue_txt, "issue_date", issue_norm, vf)]
    if layout == "gen3" and rng.random() < 0.7:
        end = issue.replace(year=issue.year + 10) if not (issue.month == 2 and issue.day == 29) else \
            issue.replace(year=issue.year + 10, day=28)
        rows.append(("有效期限", f"{issue.year}.{issue.month:02d}.{issue.day:02d}-{end.year}.{end.month:02d}."
                                 f"{end.day:02d}", None, None, vf))
    lw = max(lf.getlength(r[0]) for r in rows) + 1.8 * mm
    joined = rng.random() < 0.3
    for lab, val, key, norm, f in rows:
        if joined:
            lab = lab + "："
        lb = cv.text(x, y, lab, lf, lcol, role="label")
        vx = x + (lb[2] - lb[0] + 1.2 * mm if joined else lw)
        right = (px0 - 1.2 * mm) if y < py0 + 26 * mm else (w - 3 * mm)
        is_num = f is nf
        trk = f.size * (0.06 if is_num else 0.0)
        while vx + cv.text_width(val, f, trk) > right and f.size > 8:
            f = F.load(nspec if is_num else vspec, f.size * 0.94)
            trk = f.size * (0.06 if is_num else 0.0)
        vb = cv.text(vx, y, val, f, vcol, tracking=trk)
        if key:
            cv.field(key, norm, vb)
        y += step
        if y > h - 3 * mm:
            break
    if rng.random() < 0.6:
        _unionpay(d, w - 20 * mm + ox, 4.0 * mm + oy, mm * 0.8)
    cv.doc.meta = {"layout": layout, "bank": bank, "width_mm": CARD_MM[0], "px_per_mm": round(mm, 3)}
    return _finish(cv, w, h, rng, alpha, corner_bg)


# ------------------------------------------------------------------------------------------
# bank card
# ------------------------------------------------------------------------------------------
_PINYIN = ["ZHANG", "WANG", "LI", "LIU", "CHEN", "YANG", "HUANG", "ZHAO", "WU", "ZHOU", "XU", "SUN", "MA",
           "ZHU", "HU", "GUO", "HE", "LIN", "GAO", "LUO"]
_GIVEN_PY = ["WEI", "FANG", "NA", "MIN", "JING", "QIANG", "LEI", "JUN", "YONG", "YAN", "JIE", "TAO", "MING",
             "CHAO", "XIU YING", "GUI LAN", "JIAN GUO", "HONG", "PING", "HUA"]


def _emboss(cv: Canvas, x, y, s: str, font, base_col, rng, tracking: float, record_text: str):
    """Raised characters: a dark shadow, a light highlight, then the face; records one line."""
    off = max(1.0, font.size * 0.045)
    for dx, dy, col in ((off, off, (40, 40, 40)), (-off * 0.7, -off * 0.7, (250, 250, 250))):
        cv.text(x + dx, y + dy, s, font, col, tracking=tracking, record=False)
    return cv.text(x, y, s, font, base_col, tracking=tracking, record_text=record_text)


def render_bank_card(person: Person, rng: np.random.Generator, layout: str | None = None,
                     width: int | None = None, alpha: bool = False, corner_bg=(252, 252, 252), bank: str | None = None):
    """A bank card (front, or back with the number printed); returns (RGB[A] uint8, Truth with 'bank_card')."""
    layout = layout or _choice(rng, list(BANK_CARD_LAYOUTS))
    if layout not in BANK_CARD_LAYOUTS:
        raise ValueError(f"unknown bank card layout {layout!r}")
    card = make_bank_card(rng, bank)
    name = bank_display_name(card.bank, person, rng)
    w, h = card_size(rng, width)
    mm = w / CARD_MM[0]
    col = np.array(card.color, np.float32)
    dark = rng.random() < 0.6 and layout != "back"
    if layout == "back":
        bg = _gradient(w, h, (238, 238, 236), (222, 224, 226), rng)
    elif dark:
        bg = _gradient(w, h, np.clip(col * 1.1, 0, 255), np.clip(col * 0.55, 0, 255), rng)
    else:
        bg = _gradient(w, h, (248, 248, 246), np.clip(col * 0.25 + 190, 0, 255), rng)
    cv = Canvas(bg, "bank_card")
    d = cv.draw
    ox, oy = rng.normal(0, 0.4, 2) * mm
    fg = (245, 245, 245) if dark else (25, 25, 30)
    groups = group_card_number(card.number, rng)
    if layout == "back":
        d.rectangle([0, 4.5 * mm, w, 16.5 * mm], fill=(25, 25, 25))               # magnetic stripe
        d.rectangle([6 * mm, 20 * mm, 58 * mm, 28 * mm], fill=(250, 250, 245))     # signature panel
        for k in range(10):
            d.line([(6 * mm, 20 * mm + k * 0.8 * mm), (58 * mm, 20 * mm + k * 0.8 * mm)], fill=(200, 210, 230))
        cvv = f"{int(rng.integers(100, 1000))}"
        cv.text(60 * mm, 26 * mm, cvv, F.load(F.pick("sans", rng), 2.6 * mm), (20, 20, 20), role="value")
        nfont = F.load(F.pick("ocrb", rng) if rng.random() < 0.6 else F.pick("sans", rng), rng.uniform(3.0, 3.6) * mm)
        num_txt = " ".join(groups)
        nb = cv.text(6 * mm + ox, 34 * mm + oy, num_txt, nfont, (20, 20, 20), record_text=num_txt)
        cv.field("card_number", card.number, nb)
        bb = _bank_logo(cv, 6 * mm + ox, 43 * mm + oy, mm, name, tuple(int(c) for c in col), rng, size=2.8)
        cv.field("bank", name, bb)
        hot = {"中国工商银行": "95588", "中国农业银行": "95599", "中国银行": "95566", "中国建设银行": "95533",
               "交通银行": "95559", "中国邮政储蓄银行": "95580", "招商银行": "95555"}.get(card.bank, "96" + str(int(rng.integers(100, 999))))
        cv.text(6 * mm + ox, 49.5 * mm + oy, f"客服热线：{hot}", F.load(F.pick("sans", rng, "客服热线"), 2.2 * mm),
                (60, 60, 60), role="footer")
    else:
        bb = _bank_logo(cv, 5.5 * mm + ox, 10.5 * mm + oy, mm, name, tuple(fg) if dark else tuple(int(c) for c in col),
                        rng, size=rng.uniform(3.6, 4.4))
        cv.field("bank", name, bb)
        if rng.random() < 0.7:
            cv.text(bb[0], bb[3] + 2.4 * mm, card.bank_en, F.load(F.pick("sans", rng), 1.8 * mm), fg, role="title")
        kt = card.kind if rng.random() < 0.7 else ("金穗借记卡" if "农业" in card.bank else "储蓄卡")
        cv.text(w - 6 * mm + ox, 9 * mm + oy, kt, F.load(F.pick("sans", rng, kt), 2.6 * mm), fg, anchor="rs",
                role="title")
        _chip(d, 8.5 * mm + ox, 19 * mm + oy, mm, rng)
        num_txt = " ".join(groups)
        if layout == "embossed":
            spec = F.pick("ocrb", rng) if rng.random() < 0.7 else F.pick("sans", rng, bold=True)
            if dark:   # silver or gold tipping on a dark card, graphite or gold on a light one
                metal = (int(rng.uniform(200, 235)), int(rng.uniform(195, 225)), int(rng.uniform(150, 215)))
            else:
                metal = ((int(rng.uniform(60, 90)),) * 3 if rng.random() < 0.5
                         else (int(rng.uniform(150, 175)), int(rng.uniform(115, 135)), int(rng.uniform(40, 70))))
            size = rng.uniform(4.3, 5.0) * mm
            f = F.load(spec, size)
            gap = f.getlength("0") * rng.uniform(0.8, 1.3)
            total = sum(f.getlength(g) + f.size * 0.08 * (len(g) - 1) for g in groups) + gap * (len(groups) - 1)
            if total > w - 12 * mm:
                f = F.load(spec, size * (w - 12 * mm) / total)
                gap *= (w - 12 * mm) / total
            x = 6 * mm + ox
            y = 36.5 * mm + oy
            boxes = []
            for g in groups:
                boxes.append(_emboss(cv, x, y, g, f, metal, rng, f.size * 0.08, g))
                x += f.getlength(g) + f.size * 0.08 * (len(g) - 1) + gap
            cv.field("card_number", card.number, union(boxes))
            small = F.load(spec, 2.6 * mm)
            vt = cv.text(26 * mm + ox, 42.5 * mm + oy, "VALID", F.load(F.pick("sans", rng), 1.4 * mm), fg, role="label")
            _emboss(cv, vt[2] + 2 * mm, 43 * mm + oy, card.valid_thru, small, metal, rng, 0, card.valid_thru)
            if rng.random() < 0.5:
                holder = f"{_choice(rng, _PINYIN)} {_choice(rng, _GIVEN_PY)}"
                _emboss(cv, 6 * mm + ox, 49 * mm + oy, holder, small, metal, rng, 0, holder)
        else:
            spec = F.pick("sans", rng) if rng.random() < 0.6 else F.pick("ocrb", rng)
            f = F.load(spec, rng.uniform(3.4, 4.2) * mm)
            y = 38 * mm + oy
            if rng.random() < 0.5:   # one run, groups separated by spaces
                nb = cv.text(6.5 * mm + ox, y, num_txt, f, fg, tracking=f.size * 0.05, record_text=num_txt)
            else:
                gap = f.size * rng.uniform(0.6, 1.0)
                x = 6.5 * mm + ox
                bs = []
                for g in groups:
                    bs.append(cv.text(x, y, g, f, fg, tracking=f.size * 0.05))
                    x += cv.text_width(g, f, f.size * 0.05) + gap
                nb = union(bs)
            cv.field("card_number", card.number, nb)
        _unionpay(d, w - 21 * mm + ox, h - 13.5 * mm + oy, mm)
        cv.text(w - 13 * mm + ox, h - 2.8 * mm + oy, "银联", F.load(F.pick("sans", rng, "银联", bold=True), 2.2 * mm),
                fg, anchor="ms", role="title")
    cv.doc.meta = {"layout": layout, "digits": len(card.number), "grouping": [len(g) for g in groups],
                   "width_mm": CARD_MM[0], "px_per_mm": round(mm, 3)}
    return _finish(cv, w, h, rng, alpha, corner_bg)


# ------------------------------------------------------------------------------------------
# 残疾人证 (card)
# ------------------------------------------------------------------------------------------
def render_disability_card(person: Person, rng: np.random.Generator, ctx: dict, width: int | None = None,
                           alpha: bool = False, corner_bg=(252, 252, 252)):
    """The 残疾人证 card: short category (肢体) and 贰级-style level as printed; truth in full names.

    The card prints no separate ID number: ``id_number`` is recorded on the first 18 characters of
    the printed 证号 (meta ``id_number_from``).
    """
    w, h = card_size(rng, width)
    mm = w / CARD_MM[0]
    bg = _gradient(w, h, (252, 248, 240), (240, 232, 220), rng)
    cv = Canvas(bg, "disability_certificate")
    d = cv.draw
    ox, oy = rng.normal(0, 0.4, 2) * mm
    red = (int(rng.uniform(170, 200)), int(rng.uniform(25, 45)), int(rng.uniform(30, 50)))
    d.rectangle([0, 0, w, 10.5 * mm + oy], fill=red)
    title = "中华人民共和国残疾人证"
    tf = F.load(F.pick("serif" if rng.random() < 0.5 else "sans", rng, title, bold=True), rng.uniform(4.4, 5.0) * mm)
    cv.text(w / 2, 7.6 * mm + oy, title, tf, (250, 240, 220), anchor="ms", role="title", tracking=tf.size * 0.1)
    _portrait(cv.img, (4.5 * mm + ox, 14 * mm + oy, 24.5 * mm + ox, 40 * mm + oy), rng, person.sex)
    cat_full = DISABILITY_CATEGORIES[ctx["cat"]]
    cat_printed = cat_full[:-2] if rng.random() < 0.75 else cat_full
    lvl_style = _choice(rng, ["cap", "cap", "cn"])
    lvl_printed = disability_level_text(ctx["level"], lvl_style)
    txt = person.name + person.address + cat_full + lvl_printed + ctx["eth"] + "姓名性别民族出生证号类别等级住址发证日期年月日"
    lspec = F.pick("sans", rng, txt)
    vspec = F.pick("sans" if rng.random() < 0.6 else "serif", rng, txt)
    lf = F.load(lspec, 2.2 * mm)
    vf = F.load(vspec, 2.7 * mm)
    lcol, vcol = (110, 70, 60), (20, 20, 20)
    x = 27.5 * mm + ox
    y = 15.5 * mm + oy
    step = 4.2 * mm
    lw = lf.getlength("发证日期") + 1.5 * mm

    def row(lab, val, key, norm, xx=None, f=None, lwid=None):
        xx = x if xx is None else xx
        cv.text(xx, y, lab, lf, lcol, role="label")
        vb = cv.text(xx + (lwid if lwid is not None else lw), y, val, f or vf, vcol)
        if key:
            cv.field(key, norm, vb)
        return vb

    row("姓名", person.name, "name", person.name)
    y += step
    row("性别", person.sex, "sex", person.sex, lwid=lf.getlength("性别") + 1.5 * mm)
    row("民族", ctx["eth"], "ethnicity", ctx["eth"], xx=x + 16 * mm, lwid=lf.getlength("民族") + 1.5 * mm)
    y += step
    row("出生", format_date(person.birth_date, "cn"), "birth_date", person.birth_date.isoformat())
    y += step
    row("类别", cat_printed, "disability_category", cat_full, lwid=lf.getlength("类别") + 1.5 * mm)
    row("等级", lvl_printed, "disability_level", disability_level_text(ctx["level"]), xx=x + 16 * mm,
        lwid=lf.getlength("等级") + 1.5 * mm)
    y += step
    af = vf
    avail = w - 4 * mm - (x + lw)
    addr = person.address
    lines = [addr]
    if af.getlength(addr) > avail:
        af = F.load(vspec, 2.3 * mm)
        cut = len(addr)
        while cut > 1 and af.getlength(addr[:cut]) > avail:
            cut -= 1
        lines = [addr[:cut], addr[cut:]]
    cv.text(x, y, "住址", lf, lcol, role="label")
    ab = [cv.text(x + lw, y + k * af.size * 1.25, s, af, vcol) for k, s in enumerate(lines) if s]
    cv.field("address", person.address, ab if len(ab) > 1 else ab[0])
    y += step + (af.size * 1.25 if len(lines) > 1 else 0)
    row("发证日期", format_date(ctx["issue"], _choice(rng, ["cn", "dot"])), "issue_date", ctx["issue"].isoformat())
    # the number at the bottom, wide digits
    nspec = F.pick("ocrb", rng)
    lab = "证号"
    ny = h - 4.5 * mm + oy
    cv.text(4.5 * mm + ox, ny, lab, lf, lcol, role="label")
    nx0 = 4.5 * mm + ox + lf.getlength(lab) + 2 * mm
    nf = F.load(nspec, 3.3 * mm)
    trk = max(0.0, (w - 5 * mm - nx0 - nf.getlength(ctx["number"])) / 19 * 0.6)
    nb = cv.text(nx0, ny, ctx["number"], nf, vcol, tracking=trk)
    cv.field("certificate_number", ctx["number"], nb)
    frac = (cv.text_width(ctx["number"][:18], nf, trk)) / max(1.0, cv.text_width(ctx["number"], nf, trk))
    cv.field("id_number", person.id_number, (nb[0], nb[1], nb[0] + (nb[2] - nb[0]) * frac, nb[3]))
    cv.doc.meta = {"layout": "card", "category_printed": cat_printed, "level_printed": lvl_printed,
                   "id_number_from": "certificate_number", "width_mm": CARD_MM[0], "px_per_mm": round(mm, 3)}
    return _finish(cv, w, h, rng, alpha, corner_bg)
