"""Page preparation (extract/pages.py) on synthetic images with known geometry.

Everything is drawn here (numpy / OpenCV / PIL with a CJK font when one is installed): A4
photocopies holding both sides of an ID card, phone-photo-like warps of a card on a textured
background, card crops, and text pages rotated by known angles.  A last test runs the card
finder on the project's sample generator (samples/), when it is there.
"""
from __future__ import annotations

import glob
import math

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extract import pages as P

# ---------------------------------------------------------------------------------------------
# builders
# ---------------------------------------------------------------------------------------------

_FONT_FILES = sorted(glob.glob("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
                     + glob.glob("/usr/share/fonts/**/*CJK*.tt[cf]", recursive=True)
                     + glob.glob("/usr/share/fonts/**/wqy*.tt[cf]", recursive=True)
                     + glob.glob("/usr/share/fonts/**/uming.ttc", recursive=True))
_HANZI = ("中华人民共和国居民身份证姓名性别民族出生住址公民号码签发机关有效期限长期北京市海淀区"
          "公安局分局诊断证明书医院门诊号住院科别建议休息两周检验报告单项目结果参考范围")


def _font(size: int):
    for f in _FONT_FILES:
        try:
            return ImageFont.truetype(f, size)
        except OSError:
            continue
    return ImageFont.load_default(size)  # Latin only; the shapes still look like text


def _text(rng, n: int) -> str:
    if _FONT_FILES:
        return "".join(_HANZI[i] for i in rng.integers(0, len(_HANZI), n))
    return "".join(chr(c) for c in rng.integers(65, 91, n))


def make_card(seed: int = 0, w: int = 674, back: bool = False):
    """(BGR card, alpha with rounded corners); ID-1 aspect, light guilloche, text, photo."""
    rng = np.random.default_rng(seed)
    h = int(round(w / P.CARD_ASPECT))
    base = np.array([rng.integers(215, 240), rng.integers(220, 242), rng.integers(225, 245)], np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.ones((h, w, 3), np.float32) * base + (5 * np.sin(xx / 9.0 + yy / 13.0))[:, :, None]
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    s = w / 674
    f_lab, f_val = _font(int(22 * s)), _font(int(28 * s))
    if not back:
        y = int(40 * s)
        for lab, n in (("姓名", 3), ("性别", 4), ("出生", 8), ("住址", 11), ("", 11)):
            d.text((int(40 * s), y), lab, fill=(60, 110, 170), font=f_lab)
            d.text((int(120 * s), y - 3), _text(rng, n), fill=(15, 15, 15), font=f_val)
            y += int(50 * s)
        d.text((int(40 * s), int(h - 70 * s)), "公民身份号码", fill=(60, 110, 170), font=f_lab)
        d.text((int(230 * s), int(h - 76 * s)), "".join(str(v) for v in rng.integers(0, 10, 18)),
               fill=(10, 10, 10), font=f_val)
        d.ellipse([int(w - 190 * s), int(70 * s), int(w - 80 * s), int(200 * s)], fill=(120, 110, 105))
        d.pieslice([int(w - 230 * s), int(190 * s), int(w - 40 * s), int(360 * s)], 180, 360, fill=(60, 90, 70))
    else:
        d.ellipse([int(40 * s), int(30 * s), int(170 * s), int(160 * s)], outline=(180, 40, 40),
                  width=max(1, int(8 * s)), fill=(220, 150, 120))
        f_big = _font(int(40 * s))
        d.text((int(210 * s), int(50 * s)), "中华人民共和国", fill=(30, 30, 30), font=f_big)
        d.text((int(230 * s), int(120 * s)), "居民身份证", fill=(30, 30, 30), font=f_big)
        d.text((int(120 * s), int(h - 120 * s)), "签发机关  " + _text(rng, 8), fill=(20, 20, 20), font=f_val)
        d.text((int(120 * s), int(h - 70 * s)), "有效期限  2015.03.01-2035.03.01", fill=(20, 20, 20), font=f_val)
    alpha = np.zeros((h, w), np.uint8)
    r = int(28 * s)
    cv2.rectangle(alpha, (r, 0), (w - 1 - r, h - 1), 255, -1)
    cv2.rectangle(alpha, (0, r), (w - 1, h - 1 - r), 255, -1)
    for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
        cv2.circle(alpha, (cx, cy), r, 255, -1)
    return np.asarray(im)[:, :, ::-1].copy(), alpha


def _corners(w: int, h: int) -> np.ndarray:
    return np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)


def _paste(canvas: np.ndarray, card, alpha, Hm, outline=None) -> np.ndarray:
    """Warp card + alpha with homography Hm onto the float canvas; return the card's quad."""
    H, W = canvas.shape[:2]
    wc = cv2.warpPerspective(card, Hm, (W, H), flags=cv2.INTER_LINEAR).astype(np.float32)
    wa = cv2.warpPerspective(alpha, Hm, (W, H), flags=cv2.INTER_LINEAR).astype(np.float32)[:, :, None] / 255
    if outline is not None:
        ring = cv2.morphologyEx((wa[:, :, 0] > 0.5).astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
        canvas[ring > 0] = canvas[ring > 0] * 0.4 + np.array(outline, np.float32) * 0.6
    canvas[:] = canvas * (1 - wa) + wc * wa
    return cv2.perspectiveTransform(_corners(card.shape[1], card.shape[0])[None], Hm)[0]


def _placed(w, h, cx, cy, angle):
    M = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    M[:, 2] += (cx - w / 2, cy - h / 2)
    return np.vstack([M, [0, 0, 1]])


def make_a4_copy(seed=0, layout="stack", angles=(180.0, 4.0), gap=60, watermark=True, grey=True):
    """A 200 dpi A4 photocopy (1654 x 2339) holding front and back of a card; their quads."""
    rng = np.random.default_rng(seed)
    W, H = 1654, 2339
    page = np.full((H, W, 3), 248, np.float32) + rng.normal(0, 2, (H, W, 1)).astype(np.float32)
    cw = 674
    ch = int(round(cw / P.CARD_ASPECT))
    if layout == "stack":
        centres = [(W / 2 + rng.uniform(-60, 60), 620.0), (W / 2 + rng.uniform(-60, 60), 620.0 + ch + gap)]
    else:
        centres = [(W / 2 - cw / 2 - gap / 2, 800.0), (W / 2 + cw / 2 + gap / 2, 800.0)]
    quads = []
    for i, ((cx, cy), ang) in enumerate(zip(centres, angles)):
        card, alpha = make_card(seed * 7 + i, cw, back=(i == 1))
        quads.append(_paste(page, card, alpha, _placed(cw, ch, cx, cy, ang), outline=(120, 120, 120)))
    page[:, :25] = page[:, :25] * 0.3 + 60  # copier lid edges
    page[-30:, :] = page[-30:, :] * 0.35 + 50
    if watermark:
        wm = Image.new("L", (W, H), 0)
        for k in range(3):
            t = Image.new("L", (1500, 160), 0)
            ImageDraw.Draw(t).text((10, 10), "仅供办理社保业务使用", fill=255, font=_font(110))
            t = t.rotate(25, expand=True)
            wm.paste(t, (50 + 40 * k, 300 + 600 * k), t)
        m = np.asarray(wm).astype(np.float32)[:, :, None] / 255 * 0.55
        page = page * (1 - m) + 90 * m
    page = np.clip(page, 0, 255).astype(np.uint8)
    if grey:
        page = cv2.cvtColor(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return page, quads


def make_photo(seed=0, kind="wood", W=1600, H=1200, persp=0.05):
    """A card on a desk / fabric, random homography, shadow, uneven light, blur, noise, JPEG."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    if kind == "wood":
        base = np.array([70, 110, 150], np.float32)
        v = 18 * np.sin(yy / 7.0 + 3 * np.sin(xx / 90.0)) + rng.normal(0, 6, (H, W))
    else:  # fabric
        base = np.array([120, 70, 60], np.float32)
        v = 20 * np.sign(np.sin(xx / 3.0) * np.sin(yy / 3.0)) + rng.normal(0, 8, (H, W))
    canvas = (base[None, None, :] + v[:, :, None]).astype(np.float32)
    card, alpha = make_card(seed, 800, back=bool(rng.integers(0, 2)))
    ch, cw = card.shape[:2]
    sc, ang = rng.uniform(0.75, 1.05), math.radians(rng.uniform(-25, 25))
    cx, cy = W / 2 + rng.uniform(-0.08, 0.08) * W, H / 2 + rng.uniform(-0.06, 0.06) * H
    R = np.array([[math.cos(ang), math.sin(ang)], [-math.sin(ang), math.cos(ang)]]) * sc
    rect = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]])
    dst = rect @ R.T + [cx, cy] + rng.uniform(-persp, persp, (4, 2)) * cw * sc
    src = _corners(cw, ch)
    Hm = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)).astype(np.float64)
    shadow = cv2.warpPerspective(alpha, Hm, (W, H)).astype(np.float32) / 255
    canvas *= (1 - 0.35 * cv2.GaussianBlur(np.roll(shadow, (8, 8), (0, 1)), (0, 0), 6))[:, :, None]
    quad = _paste(canvas, card, alpha, Hm)
    gx0, gy0 = rng.uniform(0, W), rng.uniform(0, H)
    canvas *= (0.7 + 0.4 * np.exp(-((xx - gx0) ** 2 + (yy - gy0) ** 2) / (2 * (0.6 * W) ** 2)))[:, :, None]
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.8) + rng.normal(0, 3, (H, W, 1))
    _, buf = cv2.imencode(".jpg", np.clip(canvas, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 80])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), [quad]


def make_text_page(seed=0, W=1654, H=2339, size=36, lines=30, spacing=1.6, margin=150, angle=0.0,
                   bg=250, fg=20):
    """A white page of CJK text lines, rotated counter-clockwise by ``angle`` degrees."""
    rng = np.random.default_rng(seed)
    im = Image.new("L", (W, H), bg)
    d = ImageDraw.Draw(im)
    f = _font(size)
    per_line = int((W - 2 * margin) / size) - 1
    y = margin
    for _ in range(lines):
        if y > H - margin - size:
            break
        d.text((margin, y), _text(rng, int(rng.integers(per_line // 2, per_line + 1))), fill=fg, font=f)
        y += int(size * spacing)
    g = np.asarray(im)
    if angle:
        g = cv2.warpAffine(g, cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0), (W, H), borderValue=bg)
    return cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)


def quad_iou(a, b) -> float:
    a = cv2.convexHull(np.asarray(a, np.float32)).reshape(-1, 2)
    b = cv2.convexHull(np.asarray(b, np.float32)).reshape(-1, 2)
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = abs(cv2.contourArea(a)) + abs(cv2.contourArea(b)) - inter
    return float(inter / union) if union > 0 else 0.0


def best_ious(regions, truths):
    return [max([quad_iou(r.quad, t) for r in regions] or [0.0]) for t in truths]


@pytest.fixture(scope="module")
def text_page():
    return make_text_page(seed=1)


# ---------------------------------------------------------------------------------------------
# to_bgr
# ---------------------------------------------------------------------------------------------


def test_to_bgr_accepts_common_image_forms():
    g = np.arange(256, dtype=np.uint8).reshape(16, 16)
    out = P.to_bgr(g)
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8 and np.array_equal(out[:, :, 1], g)
    assert P.to_bgr(g[:, :, None]).shape == (16, 16, 3)
    # 16 bit
    out16 = P.to_bgr((g.astype(np.uint16) * 257))
    assert np.array_equal(out16[:, :, 0], g)
    # BGRA: transparent pixels become white, opaque keep their colour
    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[..., :3] = (10, 20, 30)
    bgra[:2, :, 3] = 255
    out = P.to_bgr(bgra)
    assert tuple(out[0, 0]) == (10, 20, 30) and tuple(out[3, 3]) == (255, 255, 255)
    # float 0..1, bool
    assert P.to_bgr(np.ones((3, 3), np.float32) * 0.5)[0, 0, 0] in (127, 128)
    assert P.to_bgr(np.eye(3, dtype=bool))[0, 0, 0] == 255
    # PIL: RGB order is converted, palette and 16-bit modes are expanded
    rgb = Image.new("RGB", (5, 5), (200, 100, 50))
    assert tuple(P.to_bgr(rgb)[0, 0]) == (50, 100, 200)
    pal = rgb.convert("P", palette=Image.ADAPTIVE, colors=4)
    assert P.to_bgr(pal).shape == (5, 5, 3)
    assert tuple(P.to_bgr(pal)[2, 2]) == (50, 100, 200)
    i16 = Image.fromarray((g.astype(np.uint16) * 257))
    assert np.array_equal(P.to_bgr(i16)[:, :, 2], g)
    la = Image.new("LA", (3, 3), (0, 0))
    assert tuple(P.to_bgr(la)[1, 1]) == (255, 255, 255)
    # encoded bytes
    ok, buf = cv2.imencode(".png", bgra)
    assert P.to_bgr(buf.tobytes()).shape == (4, 4, 3)


def test_degenerate_inputs_do_not_fail():
    for img in (np.zeros((1, 1), np.uint8), np.zeros((5, 7, 3), np.uint8), np.full((800, 600, 3), 255, np.uint8),
                np.zeros((400, 640, 4), np.uint8), np.zeros((400, 640), np.uint16),
                np.zeros((800, 1200, 3), np.uint8)[::2, ::2]):
        w = P.quality_warnings(img)
        assert set(w) <= set(P.QUALITY_WARNINGS)
        assert P.estimate_skew(img) == 0.0
        assert P.text_orientation(img) == "horizontal"
        assert P.find_card_regions(img) == []  # blank, even when shaped like a card
        out, M = P.deskew(img, 2.0)
        assert out.ndim == img.ndim and M.shape == (2, 3)
    assert "too_small" in P.quality_warnings(np.zeros((5, 7, 3), np.uint8))


# ---------------------------------------------------------------------------------------------
# quality
# ---------------------------------------------------------------------------------------------


def test_quality_blur_is_judged_on_text_not_margins(text_page):
    assert P.quality_warnings(text_page) == []
    blurred = cv2.GaussianBlur(text_page, (0, 0), 3.0)
    w = P.quality_warnings(blurred)
    assert "blurry" in w
    assert set(w) <= set(P.QUALITY_WARNINGS) and len(w) == len(set(w))
    # the same page downscaled (text half as high) is still sharp
    half = cv2.resize(text_page, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    assert "blurry" not in P.quality_warnings(half)


def test_quality_clean_page_with_little_text_gets_no_warning():
    page = make_text_page(seed=2, size=30, lines=3, margin=400)
    assert P.quality_warnings(page) == []


def test_quality_dark_small_low_contrast(text_page):
    assert P.quality_warnings((text_page * 0.3).astype(np.uint8)) == ["too_dark"]
    assert "too_small" in P.quality_warnings(cv2.resize(text_page, (200, 283), interpolation=cv2.INTER_AREA))
    # big enough image, but the text would be ~7 px high
    tiny_text = cv2.resize(text_page, None, fx=0.2, fy=0.2, interpolation=cv2.INTER_AREA)
    assert "too_small" in P.quality_warnings(tiny_text)
    washed = (text_page.astype(np.float32) * 0.15 + 185).astype(np.uint8)
    assert "low_contrast" in P.quality_warnings(washed)


def test_quality_glare_on_a_photo_but_not_on_white_paper(text_page):
    img, _ = make_photo(seed=2)
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-((xx - w * 0.5) ** 2 + (yy - h * 0.5) ** 2) / (2 * 60.0 ** 2)) * 400
    glared = np.clip(img.astype(np.float32) + spot[:, :, None], 0, 255).astype(np.uint8)
    assert "glare" in P.quality_warnings(glared)
    assert "glare" not in P.quality_warnings(text_page)


# ---------------------------------------------------------------------------------------------
# skew, orientation, rotation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [-10.0, -6.5, -3.0, -1.0, 0.0, 0.7, 2.5, 5.0, 8.0, 10.0])
def test_estimate_skew_within_a_degree(text_page, angle):
    g = cv2.cvtColor(text_page, cv2.COLOR_BGR2GRAY)
    M = cv2.getRotationMatrix2D((g.shape[1] / 2, g.shape[0] / 2), angle, 1.0)
    rotated = cv2.warpAffine(g, M, (g.shape[1], g.shape[0]), borderValue=250)
    est = P.estimate_skew(rotated)
    assert -20 < est < 20
    assert abs(est - angle) <= 1.0, (angle, est)


def test_deskew_expands_canvas_and_maps_points(text_page):
    g = cv2.cvtColor(text_page, cv2.COLOR_BGR2GRAY)
    h, w = g.shape
    M0 = cv2.getRotationMatrix2D((w / 2, h / 2), 7.0, 1.0)
    skewed = cv2.warpAffine(text_page, M0, (w, h), borderValue=(250, 250, 250))
    skewed[100:110, 200:210] = (0, 0, 255)  # a red marker
    out, M = P.deskew(skewed, 7.0)
    assert M.shape == (2, 3)
    c, s = math.cos(math.radians(7)), math.sin(math.radians(7))
    assert out.shape[1] >= int(w * c + h * s) and out.shape[0] >= int(w * s + h * c)
    x, y = P.map_points(M, [(204.5, 104.5)])[0]
    assert tuple(out[int(round(y)), int(round(x))]) == (0, 0, 255)
    assert tuple(out[0, 0]) == (250, 250, 250)  # border: the median border colour
    assert abs(P.estimate_skew(out)) < 0.5
    same, I = P.deskew(skewed, 0.0)
    assert np.array_equal(same, skewed) and np.allclose(I, [[1, 0, 0], [0, 1, 0]])


def test_text_orientation_and_rotate90(text_page):
    g = cv2.cvtColor(text_page, cv2.COLOR_BGR2GRAY)
    assert P.text_orientation(g) == "horizontal"
    for k, want in ((1, "vertical"), (2, "horizontal"), (3, "vertical")):
        r, M = P.rotate90(g, k)
        assert np.array_equal(r, np.rot90(g, k))
        assert np.array_equal(cv2.warpAffine(g, M, (r.shape[1], r.shape[0]), flags=cv2.INTER_NEAREST), r)
        assert P.text_orientation(r) == want
    # a vertical page with a small skew: the skew of its lines from vertical
    r, _ = P.rotate90(cv2.warpAffine(g, cv2.getRotationMatrix2D((g.shape[1] / 2, g.shape[0] / 2), 3.0, 1.0),
                                     (g.shape[1], g.shape[0]), borderValue=250), 1)
    assert abs(P.estimate_skew(r) - 3.0) <= 1.0


# ---------------------------------------------------------------------------------------------
# cards
# ---------------------------------------------------------------------------------------------


def _check_cards(img, truths, min_iou=0.9):
    regions = P.find_card_regions(img)
    assert len(regions) == len(truths), [r.bbox for r in regions]
    ious = best_ious(regions, truths)
    assert min(ious) >= min_iou, ious
    H, W = img.shape[:2]
    for r in regions:
        assert r.quad.shape == (4, 2) and r.quad.dtype == np.float32
        assert 0.0 <= r.score <= 1.0
        tl, tr, br, bl = r.quad.astype(np.float64)
        assert np.hypot(*(tr - tl)) > np.hypot(*(bl - tl))  # TL -> TR is a long side
        assert np.cross(tr - tl, bl - tl) > 0  # clockwise on screen (y down)
        x0, y0, x1, y1 = r.bbox
        assert 0 <= x0 < x1 <= W and 0 <= y0 < y1 <= H
    return regions


def test_cards_on_a4_copy_one_upside_down_one_skewed():
    img, truths = make_a4_copy(seed=1, layout="stack", angles=(180.0, 4.0), gap=60)
    regions = _check_cards(img, truths)
    # reading order: top card first
    assert regions[0].bbox[1] < regions[1].bbox[1]


def test_cards_on_a4_copy_side_by_side_close_together():
    img, truths = make_a4_copy(seed=3, layout="side", angles=(-3.0, 178.0), gap=24, grey=False)
    _check_cards(img, truths)


def test_card_in_a_phone_photo():
    for seed, kind in ((0, "wood"), (1, "fabric")):
        img, truths = make_photo(seed=seed, kind=kind)
        _check_cards(img, truths)


def test_card_crop_is_one_whole_image_region():
    card, _ = make_card(seed=4, w=1012)
    regions = P.find_card_regions(card)
    assert len(regions) == 1 and regions[0].whole_image
    assert regions[0].bbox == [0, 0, card.shape[1], card.shape[0]]
    # a portrait (rotated) crop too, the long side still first
    regions = P.find_card_regions(cv2.rotate(card, cv2.ROTATE_90_CLOCKWISE))
    tl, tr, br, bl = regions[0].quad
    assert len(regions) == 1 and np.hypot(*(tr - tl)) > np.hypot(*(bl - tl))


def test_a_clean_cards_guilloche_is_no_small_print():
    """dev seed 841 id_front_clean #7: the card's background pattern, broken into short dashes,
    measured its "lines" 3 px high, as on a page of small print: the crop was no card region, the
    page reading cut the card in two blocks and its number was lost."""
    from samples.generate import generate

    card = generate("id_front_clean", 841, 7).image
    regions = P.find_card_regions(card)
    assert len(regions) == 1 and regions[0].whole_image


def test_no_cards_on_a_text_page(text_page):
    assert P.find_card_regions(text_page) == []


def test_warp_quad_and_bbox_round_trip():
    img, truths = make_a4_copy(seed=5, angles=(3.0, -2.0))
    region = P.find_card_regions(img)[0]
    crop, Hm, Hinv = P.warp_quad(img, region.quad)
    assert crop.shape[:2] == (round(1012 / P.CARD_ASPECT), 1012)
    assert np.allclose(Hm @ Hinv, np.eye(3), atol=1e-6)
    # the quad's corners go to the crop's corners and back
    corners = P.map_points(Hm, region.quad)
    assert np.allclose(corners, [[0, 0], [1011, 0], [1011, 637], [0, 637]], atol=1e-3)
    assert np.allclose(P.map_points(Hinv, corners), region.quad, atol=1e-3)
    # a field box on the crop reported in page pixels and back
    box = [100.0, 200.0, 400.0, 260.0]
    page_box = P.map_bbox(Hinv, box)
    back = P.map_bbox(Hm, page_box)
    assert back[0] <= box[0] + 1e-6 and back[1] <= box[1] + 1e-6
    assert back[2] >= box[2] - 1e-6 and back[3] >= box[3] - 1e-6
    assert max(abs(a - b) for a, b in zip(back, box)) < 40  # the card is nearly axis-aligned
    # affine matrices work as well
    M = np.array([[1.0, 0, 5], [0, 1, -3]])
    assert P.map_bbox(M, box) == [105.0, 197.0, 405.0, 257.0]
    assert np.allclose(P.map_points(P.invert_affine(M), P.map_points(M, [(1, 2)])), [(1, 2)])


# ---------------------------------------------------------------------------------------------
# the project's sample generator
# ---------------------------------------------------------------------------------------------


def test_cards_on_generated_samples():
    gen = pytest.importorskip("samples.generate")
    kinds = ("id_both_a4_copy", "id_both_a4_upside_down", "id_front_photo")
    matched = total = extra = 0
    misses = []
    for kind in kinds:
        for seed in range(10):
            s = gen.generate(kind, seed, 0)
            truths = [np.array(d["quad"], np.float64) for d in s.truth["documents"]]
            regions = P.find_card_regions(s.image)
            ious = best_ious(regions, truths)
            matched += sum(i >= 0.85 for i in ious)
            total += len(truths)
            extra += max(0, len(regions) - len(truths))
            if min(ious) < 0.85:
                misses.append((kind, seed, [round(i, 2) for i in ious]))
    # Measured on seeds 0-39: 178 of 200 cards found (89 %); on these seeds 41 of 50.  Known
    # misses: cards copied without any visible outline, cards touching on the copier glass or
    # pushed into its corner, a card edge that barely differs from the desk in a photo.
    assert matched >= 0.75 * total, misses
    assert extra <= 0.1 * total, misses


# ---------------------------------------------------------------------------------------------
# photographed pages: the sheet's outline
# ---------------------------------------------------------------------------------------------


def _photographed_page(page: np.ndarray, corners, size=(1700, 2300), seed: int = 3) -> np.ndarray:
    """``page`` warped onto a darker, textured, unevenly lit background with its corners
    (TL, TR, BR, BL) at ``corners``."""
    rng = np.random.default_rng(seed)
    w, h = size
    bg = rng.normal(0, 12, (h // 8, w // 8, 3)).astype(np.float32)
    bg = cv2.resize(cv2.GaussianBlur(bg, (0, 0), 2), (w, h)) + np.array([70, 95, 120], np.float32)
    src = np.float32([[0, 0], [page.shape[1], 0], [page.shape[1], page.shape[0]], [0, page.shape[0]]])
    Hm = cv2.getPerspectiveTransform(src, np.float32(corners))
    warped = cv2.warpPerspective(page, Hm, (w, h), flags=cv2.INTER_AREA)
    alpha = cv2.warpPerspective(np.ones(page.shape[:2], np.float32), Hm, (w, h), flags=cv2.INTER_LINEAR)
    out = bg * (1 - alpha[..., None]) + warped.astype(np.float32) * alpha[..., None]
    light = np.linspace(0.8, 1.05, w, dtype=np.float32)[None, :, None]
    out = cv2.GaussianBlur(out * light, (0, 0), 0.8)
    return np.clip(out, 0, 255).astype(np.uint8)


def test_find_page_quad_on_a_photographed_page():
    gen = pytest.importorskip("samples.generate")
    page = gen.generate("lab_report_clean", 31, 0).image
    corners = np.array([[260, 300], [1450, 240], [1530, 1980], [170, 2060]], np.float64)  # keystoned
    img = _photographed_page(page, corners)
    q = P.find_page_quad(img)
    assert q is not None
    assert np.abs(q - corners).max() < 3.0, q
    # the warp straightens it: text lines run level again
    ow, oh = P.page_warp_size(q)
    flat, Hm, Hinv = P.warp_quad(img, q, out_width=ow, out_height=oh)
    assert flat.shape[:2] == (oh, ow) and 1.2 < oh / ow < 1.6
    assert abs(P.estimate_skew(flat)) < 0.5
    assert np.allclose(P.map_points(Hinv, [(0, 0), (ow - 1, oh - 1)]), corners[[0, 2]], atol=6.0)


def test_find_page_quad_leaves_scans_and_cards_alone(text_page):
    gen = pytest.importorskip("samples.generate")
    assert P.find_page_quad(text_page) is None
    assert P.find_page_quad(gen.generate("lab_report_clean", 31, 1).image) is None  # a flat scan
    for i in range(3):  # ID-card photos: card-sized text, a card's aspect
        assert P.find_page_quad(gen.generate("id_front_photo", 31, i).image) is None


def test_photographed_page_read_through_the_page_warp(pipeline):
    """Dev seed 31, medical_certificate_degraded #4: a phone photo (keystone, wood background).
    Without the page warp the hospital's box came back ~100 px too tall (deskew of a keystoned
    page) and the diagnosis was not found."""
    gen = pytest.importorskip("samples.generate")
    s = gen.generate("medical_certificate_degraded", 31, 4)
    assert s.truth["meta"]["degradation"] == "photo"
    res = pipeline.extract_bytes(cv2.imencode(".png", s.image)[1].tobytes(), "photo.png")
    doc = next(d for d in res.documents if d.type == "medical_certificate")
    truth = s.truth["documents"][0]["fields"]
    for name in ("hospital", "patient_name"):
        f = doc.fields[name]
        assert f.value == truth[name]["value"]
        tb = truth[name]["bbox"]  # original page pixels
        ix = max(0.0, min(f.bbox[2], tb[2]) - max(f.bbox[0], tb[0]))
        iy = max(0.0, min(f.bbox[3], tb[3]) - max(f.bbox[1], tb[1]))
        union = (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]) + (tb[2] - tb[0]) * (tb[3] - tb[1]) - ix * iy
        assert ix * iy / union > 0.5, (name, f.bbox, tb)  # detector boxes carry a margin
    # not found before; now found, and right or flagged (its first character is blurred)
    diag = doc.fields["diagnosis"]
    assert diag.value == truth["diagnosis"]["value"] or (
        diag.confidence < 0.9 and diag.value[1:] == truth["diagnosis"]["value"][1:]), diag
