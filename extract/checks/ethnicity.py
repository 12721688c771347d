"""The 56 recognised ethnic groups of China (GB 3304) and the historical names cards may print.

Names are kept without the trailing ``族`` (the normal form of the ``ethnicity`` field).

- :func:`is_known` – a current name or a historical one (pass ``historical=False`` for current only)
- :func:`is_historical` – one of the renamed forms (``僮``, ``崩龙``, ``毛难``)
- :func:`is_other` – a value that household registration prints for people outside the 56
  groups (``穿青人``, ``未识别民族``, ``入籍``, ``其他``); printed legitimately, but not a group name
- :func:`canonical` – the current name (``僮`` → ``壮``), or ``None`` if not a group name
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GROUPS",
    "HISTORICAL",
    "OTHER",
    "is_known",
    "is_historical",
    "is_other",
    "canonical",
]

# GB 3304-1991 order (codes 01–56).
GROUPS: tuple[str, ...] = (
    "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜",
    "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳",
    "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
    "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米",
    "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔",
    "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
assert len(GROUPS) == 56 and len(set(GROUPS)) == 56

# historical name -> (current name, year of the renaming)
HISTORICAL: dict[str, tuple[str, int]] = {
    "僮": ("壮", 1965),
    "崩龙": ("德昂", 1985),
    "毛难": ("毛南", 1986),
}

# Printed by registration offices for people outside the 56 groups (GB 3304 codes 97/98 and
# the Guizhou 穿青人 registrations).
OTHER: frozenset[str] = frozenset({"穿青人", "未识别", "未识别民族", "其他", "其它", "入籍", "外国血统"})

# Traditional-character forms that OCR engines sometimes output.
_TRADITIONAL = {
    "維吾爾": "维吾尔", "東鄉": "东乡", "納西": "纳西", "景頗": "景颇",
    "柯爾克孜": "柯尔克孜", "達斡爾": "达斡尔", "錫伯": "锡伯", "烏孜別克": "乌孜别克",
    "俄羅斯": "俄罗斯", "鄂溫克": "鄂温克", "獨龍": "独龙", "鄂倫春": "鄂伦春", "門巴": "门巴",
    "朝鮮": "朝鲜", "滿": "满", "畬": "畲", "崩龍": "崩龙", "毛難": "毛难",
    "塔塔爾": "塔塔尔", "哈薩克": "哈萨克", "漢": "汉",
}

_GROUP_SET = frozenset(GROUPS)


def _strip(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    t = "".join(name.split())
    if len(t) > 1 and t.endswith("族"):
        t = t[:-1]
    return _TRADITIONAL.get(t, t) or None


def is_known(name: Any, historical: bool = True) -> bool:
    """True for one of the 56 group names (``族`` optional), or a historical name unless
    ``historical=False``."""
    t = _strip(name)
    if t is None:
        return False
    return t in _GROUP_SET or (historical and t in HISTORICAL)


def is_historical(name: Any) -> bool:
    """True for ``僮``, ``崩龙``, ``毛难`` (``族`` optional)."""
    t = _strip(name)
    return t is not None and t in HISTORICAL


def is_other(name: Any) -> bool:
    """True for values printed for people outside the 56 groups (``穿青人``, ``未识别民族``…)."""
    t = _strip(name)
    return t is not None and (t in OTHER or t + "族" in OTHER)


def canonical(name: Any) -> str | None:
    """The current group name without ``族`` (``僮族`` → ``壮``), or ``None`` if unknown."""
    t = _strip(name)
    if t is None:
        return None
    if t in _GROUP_SET:
        return t
    if t in HISTORICAL:
        return HISTORICAL[t][0]
    return None
