"""Font discovery for the sample renderers.

Fonts are found with ``fc-list`` (run once per process and cached) and grouped by role:

- ``sans``  : CJK gothic / hei faces (Noto Sans CJK SC, WenQuanYi Zen/Micro Hei)
- ``serif`` : CJK Song / Ming faces (Noto Serif CJK SC, AR PL UMing)
- ``kai``   : handwriting-like brush faces (AR PL UKai)
- ``ocrb``  : OCR-B, used for the 18-character number on ID cards

Public API: :func:`fonts_for`, :func:`pick`, :func:`load`, :func:`covers`, :class:`FontSpec`,
:class:`FontNotFound`.  Lists are sorted, so the same machine always gives the same choice for the
same random generator (a machine with other fonts gives other pictures, but the same truth).
"""

from __future__ import annotations

import bisect
import functools
import shutil
import subprocess
from dataclasses import dataclass, field

import numpy as np
from PIL import ImageFont

__all__ = ["FontSpec", "FontNotFound", "ROLES", "fonts_for", "pick", "load", "covers", "covering", "font_paths"]


class FontNotFound(RuntimeError):
    """No installed font can play the requested role."""


@dataclass(frozen=True)
class FontSpec:
    path: str
    index: int
    family: str
    style: str
    role: str
    # sorted, non-overlapping (start, end) code point ranges the face covers
    ranges: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)

    @property
    def bold(self) -> bool:
        return "bold" in self.style.lower()

    def covers(self, text: str) -> bool:
        if not self.ranges:
            return True
        starts = [r[0] for r in self.ranges]
        for ch in text:
            if ch.isspace():
                continue
            cp = ord(ch)
            i = bisect.bisect_right(starts, cp) - 1
            if i < 0 or cp > self.ranges[i][1]:
                return False
        return True


# (role, family prefix, allowed styles).  Order matters only for readability; lists are sorted.
_RULES: list[tuple[str, str, tuple[str, ...]]] = [
    ("sans", "Noto Sans CJK SC", ("Regular", "Bold", "Medium")),
    ("sans", "WenQuanYi Zen Hei", ("Regular",)),
    ("sans", "WenQuanYi Micro Hei", ("Regular",)),
    ("serif", "Noto Serif CJK SC", ("Regular", "Bold", "Medium", "SemiBold")),
    ("serif", "AR PL UMing CN", ("Light", "Book", "Regular")),
    ("serif", "Source Han Serif SC", ("Regular", "Bold")),
    ("kai", "AR PL UKai CN", ("Book", "Regular")),
    ("kai", "AR PL KaitiM GB", ("Regular",)),
    ("kai", "Kaiti", ("Regular",)),
    ("ocrb", "OCR B", ("Regular",)),
    ("ocrb", "OCR-B", ("Regular",)),
    ("ocrb", "OCRB", ("Regular",)),
]
ROLES = ("sans", "serif", "kai", "ocrb")


def _parse_charset(s: str) -> tuple[tuple[int, int], ...]:
    out = []
    for tok in s.split():
        if "-" in tok:
            a, b = tok.split("-", 1)
            out.append((int(a, 16), int(b, 16)))
        else:
            v = int(tok, 16)
            out.append((v, v))
    out.sort()
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[FontSpec, ...]]:
    if shutil.which("fc-list") is None:
        raise FontNotFound("fc-list (fontconfig) is not installed; cannot discover fonts")
    raw = subprocess.run(
        ["fc-list", "-f", "%{file}\t%{index}\t%{family[0]}\t%{style[0]}\t%{charset}\n"],
        check=True, capture_output=True, text=True,
    ).stdout
    by_role: dict[str, dict[tuple[str, int], FontSpec]] = {r: {} for r in ROLES}
    for line in raw.splitlines():
        parts = line.split("\t")
        if len(parts) < 5:
            continue
        path, idx, fam, style, charset = parts[:5]
        for role, prefix, styles in _RULES:
            if fam == prefix and style in styles:
                key = (path, int(idx or 0))
                by_role[role].setdefault(
                    key, FontSpec(path, int(idx or 0), fam, style, role, _parse_charset(charset)))
    return {r: tuple(sorted(v.values(), key=lambda f: (f.family, f.style, f.path, f.index)))
            for r, v in by_role.items()}


def fonts_for(role: str) -> tuple[FontSpec, ...]:
    """All installed fonts for ``role``; raises :class:`FontNotFound` when there are none."""
    if role not in ROLES:
        raise ValueError(f"unknown font role {role!r}; roles are {ROLES}")
    found = _catalogue()[role]
    if not found:
        hint = {"ocrb": "apt-get install fonts-ocr-b",
                "kai": "apt-get install fonts-arphic-ukai",
                "serif": "apt-get install fonts-noto-cjk fonts-arphic-uming",
                "sans": "apt-get install fonts-noto-cjk fonts-wqy-zenhei"}[role]
        raise FontNotFound(f"no font installed for role {role!r} (try: {hint}); "
                           f"fc-list shows none of {[p for r, p, _ in _RULES if r == role]}")
    return found


def pick(role: str, rng: np.random.Generator, text: str = "", bold: bool | None = None) -> FontSpec:
    """Choose a font for ``role`` that covers every character of ``text``.

    ``bold`` True/False restricts the style when such a face exists.
    """
    cands = list(fonts_for(role))
    if bold is not None:
        sub = [f for f in cands if f.bold == bold]
        cands = sub or cands
    if text:
        sub = [f for f in cands if f.covers(text)]
        if not sub:  # fall back to any role that covers the text (rare characters)
            for r in ("sans", "serif", "kai"):
                sub = [f for f in _catalogue()[r] if f.covers(text)]
                if sub:
                    break
        cands = sub or cands
    return cands[int(rng.integers(len(cands)))]


def covering(spec: FontSpec, text: str) -> FontSpec:
    """``spec`` if it covers ``text``, else the first font of the same role (then any role) that does."""
    if spec.covers(text):
        return spec
    for r in (spec.role, "sans", "serif", "kai"):
        for f in _catalogue().get(r, ()):
            if f.covers(text):
                return f
    return spec


@functools.lru_cache(maxsize=512)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def load(spec: FontSpec, size: float) -> ImageFont.FreeTypeFont:
    """A Pillow font for ``spec`` at pixel ``size`` (cached)."""
    return _load(spec.path, spec.index, max(4, int(round(size))))


def covers(spec: FontSpec, text: str) -> bool:
    return spec.covers(text)


def font_paths() -> dict[str, str]:
    """{role: path of the first font for that role}; raises :class:`FontNotFound` if one is missing."""
    return {r: fonts_for(r)[0].path for r in ROLES}
