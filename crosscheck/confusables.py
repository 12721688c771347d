"""Is the golden value a small, OCR-plausible edit away from the extracted one?

Used for assisted correction only: a `suggestion` is offered, the extracted `value` is never
changed. An edit qualifies when it is one character (two for long identifiers such as an ID
number) and every substituted pair is explained by
- shapes that OCR engines confuse (己/已/巳, 0/O/D, 8/B/3, …), or
- the same pinyin without tones (a hand-filled form, a clerk typing by sound), or
- for identifiers with a check character: the document value fails the check and the golden
  value passes it (any single digit then),
or it is one dropped/extra character in a value of three or more characters.
"""
from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import Levenshtein

# groups of characters that OCR engines (and tired eyes) confuse
CONFUSABLE_GROUPS: tuple[str, ...] = (
    # Latin/digits (ID numbers, card numbers, dates)
    "0OoDQ", "1lI7|", "2Z", "5S", "6Gb", "8B3", "9gq", "4A", "X×x",
    # CJK shapes
    "己已巳", "未末", "士土", "人入八", "日曰", "戊戌戍", "王玉主", "大太犬", "天夭",
    "千干于", "刀力", "贝见", "免兔", "折拆析", "候侯", "梁粱", "辩辨辫", "汩汨", "崇祟",
    "晴睛", "历厉", "拔拨", "赢羸嬴", "冶治", "即既", "茶荼", "李季", "杨扬", "陈阵",
    "刘浏", "宇字", "玲铃", "琳淋", "春舂", "微徽", "侍待", "佳隹", "乌鸟", "白自",
    "田由甲申", "令今", "问间", "壶壸", "径经", "淋沐", "兵乒乓", "析柝", "幻幼", "母毋",
    "末未", "洒酒", "宫官", "嫡谪", "锡赐", "傅缚博", "凤风", "丙两", "峰锋", "浩皓",
    "一-—", "二=", "十+", "口□",
)


@lru_cache(maxsize=1)
def _confusable_pairs() -> frozenset[tuple[str, str]]:
    pairs = set()
    for group in CONFUSABLE_GROUPS:
        for a in group:
            for b in group:
                if a != b:
                    pairs.add((a, b))
    return frozenset(pairs)


def shapes_confusable(a: str, b: str) -> bool:
    return (a, b) in _confusable_pairs()


@lru_cache(maxsize=65536)
def _pinyin(ch: str) -> frozenset[str]:
    if not ("\u3400" <= ch <= "\u9fff"):
        return frozenset()
    from pypinyin import Style, pinyin

    return frozenset(pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def same_pinyin(a: str, b: str) -> str | None:
    common = _pinyin(a) & _pinyin(b)
    return sorted(common)[0] if common else None


def explain_edit(document: str, golden: str, *, checksum=None) -> list[str] | None:
    """Evidence (one phrase per edit) when `golden` is a small OCR-plausible edit of `document`;
    None when it is not. `checksum(value) -> bool` enables the check-character rule."""
    if not document or not golden or document == golden:
        return None
    long_id = len(golden) >= 15
    max_subs = 2 if long_id else 1
    if len(document) == len(golden):
        diffs = [(i, a, b) for i, (a, b) in enumerate(zip(document, golden)) if a != b]
        if not diffs or len(diffs) > max_subs:
            return None
        by_check = bool(checksum and not checksum(document) and checksum(golden))
        evidence = []
        for i, a, b in diffs:
            if shapes_confusable(a, b):
                evidence.append(f"position {i + 1}: {a}→{b} (OCR-confusable shapes)")
            elif (py := same_pinyin(a, b)) is not None:
                evidence.append(f"position {i + 1}: {a}→{b} (same pinyin {py})")
            elif by_check and a.isdigit() and b.isdigit() and len(diffs) == 1:
                evidence.append(f"position {i + 1}: {a}→{b} (document fails its check character,"
                                " golden passes)")
            else:
                return None
        return evidence
    if abs(len(document) - len(golden)) == 1 and min(len(document), len(golden)) >= 2 \
            and Levenshtein.distance(document, golden) == 1:
        if len(document) < len(golden):
            return ["one character missing from the document value"]
        return ["one extra character in the document value"]
    return None
