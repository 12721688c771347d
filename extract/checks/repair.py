"""Repair of a misread 18-character ID number.

The check character of GB 11643-1999 can correct one *known* wrong position (an erasure) or
confirm a guess, but not find an unknown wrong digit by itself, so the search only changes
positions for which there is evidence:

- a character that is not valid at its position (a letter among the first 17, anything but a
  digit or ``X`` in the last): its look-alike digit(s) from :data:`CONFUSABLES`; a character
  with no known look-alike: every digit (``X`` too in the last position);
- the recogniser's alternative characters for a position (``alternatives``: one list per
  character of ``raw``, each a list of ``(char, prob)``; the three most probable are used);
- the digits of ``printed_birth_date`` at the birth-date positions (7–14) where they differ.

Candidates are tried in order of the number of substitutions (1, then 2; never more, at most
:data:`MAX_CANDIDATES` candidates). A candidate is valid when it has 18 characters, passes the
checksum, has a valid birth date, and agrees with ``printed_birth_date`` / ``printed_sex``
when given. The first tier that holds any valid candidate decides: exactly one → accepted
(``repaired=True``); several → refused (``reason='ambiguous'``, value as printed, every valid
candidate listed). No digit is inserted or deleted: a 17-character number is never padded. The
one deletion: punctuation read between the characters (:data:`SPECKS`: a speck of toner or dust,
``2307·19620218…``) is dropped when that leaves 18 characters; those edits read ``(position in
the printed text, speck, "")``.

Reasons: ``valid`` (already valid, returned unchanged), ``repaired``, ``specks_dropped`` (valid
once the specks are dropped), ``ambiguous``,
``no_candidate``, ``search_limit`` (the next tier would exceed :data:`MAX_CANDIDATES`;
nothing is decided on a partial search), ``length`` (not 18 characters), ``too_many_errors`` (more than two invalid
characters), ``empty``.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass, field
from typing import Any, Sequence

from extract.checks.idnumber import check_char, validate
from extract.normalize import normalize_date, normalize_id_number, normalize_sex, to_halfwidth

__all__ = ["Repair", "repair_id_number", "CONFUSABLES", "MAX_SUBSTITUTIONS", "MAX_CANDIDATES"]

CONFUSABLES: dict[str, str] = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "U": "0", "〇": "0",
    "I": "1", "l": "1", "|": "1", "i": "1", "丨": "1", "L": "1", "!": "1",
    "Z": "2", "z": "2",
    "S": "5", "s": "5",
    "B": "8",
    "G": "6", "b": "6",
    "g": "9", "q": "9",
    "T": "7",
    "A": "4",
}
MAX_SUBSTITUTIONS = 2
MAX_CANDIDATES = 5000
MAX_ALTERNATIVES_PER_POSITION = 3
_DIGITS = "0123456789"


@dataclass(frozen=True)
class Repair:
    """value: the repaired number, or the number as printed (normalised) when not repaired.
    repaired: True only when exactly one valid candidate was found.
    candidates: the valid candidates of the deciding tier (empty if none).
    reason: see the module docstring.
    edits: for an accepted repair, ``(position, printed char, new char)`` per substitution.
    """

    value: str
    repaired: bool
    candidates: list[str] = field(default_factory=list)
    reason: str = ""
    edits: list[tuple[int, str, str]] = field(default_factory=list)


# punctuation that a speck of toner or dust is read as; never part of a number
SPECKS = frozenset("·.,'`:;_•˙‧∙’‘。、，．")


def is_speck(s: str, i: int) -> bool:
    """Is ``s[i]`` a speck read between two characters of the number (not at either end)?"""
    return 0 < i < len(s) - 1 and s[i] in SPECKS and s[i - 1] not in SPECKS and s[i + 1] not in SPECKS


def _allowed(pos: int, ch: str) -> bool:
    return ch in _DIGITS or (pos == 17 and ch == "X")


def _alt_chars(entry: Any) -> list[str]:
    """Alternative characters of one position, most probable first."""
    items: list[tuple[str, float]] = []
    if not isinstance(entry, (list, tuple)):
        return []
    for it in entry:
        if isinstance(it, (list, tuple)) and it and isinstance(it[0], str):
            prob = it[1] if len(it) > 1 and isinstance(it[1], (int, float)) else 0.0
            items.append((it[0], float(prob)))
        elif isinstance(it, str):
            items.append((it, 0.0))
    items.sort(key=lambda x: -x[1])
    out: list[str] = []
    for ch, _ in items:
        c = (to_halfwidth(ch) or "").strip()
        if len(c) != 1:
            continue
        c = CONFUSABLES.get(c, c).upper()
        if c not in out:
            out.append(c)
        if len(out) >= MAX_ALTERNATIVES_PER_POSITION:
            break
    return out


def _align_alternatives(raw: str, compact: str, alternatives: Sequence[Any] | None) -> list[list[str]]:
    if not alternatives or not isinstance(alternatives, (list, tuple)):
        return [[] for _ in compact]
    alts = list(alternatives)
    if len(alts) == len(compact):
        return [_alt_chars(a) for a in alts]
    halfraw = to_halfwidth(raw) or ""
    if len(alts) == len(halfraw):
        return [_alt_chars(a) for ch, a in zip(halfraw, alts) if not ch.isspace()]
    return [[] for _ in compact]


def _is_valid(cand: str, birth: str | None, sex: str | None, today: _dt.date) -> bool:
    if check_char(cand[:17]) != cand[17]:
        return False
    v = validate(cand, today=today)
    if not v.birth_date_valid:
        return False
    if birth is not None and cand[6:14] != birth:
        return False
    if sex is not None and v.sex != sex:
        return False
    return True


def repair_id_number(
    raw: Any,
    alternatives: Sequence[Sequence[tuple[str, float]]] | None = None,
    printed_birth_date: Any = None,
    printed_sex: Any = None,
    today: _dt.date | None = None,
) -> Repair:
    """Repair a misread 18-character ID number, or refuse. See the module docstring."""
    today = today or _dt.date.today()
    printed = normalize_id_number(raw) or (raw.strip() if isinstance(raw, str) else "")
    if not printed:
        return Repair(value="", repaired=False, reason="empty")
    check = validate(printed, today=today)
    if check.kind in ("id18", "hmt_residence") and check.ok:
        return Repair(value=check.value, repaired=False, candidates=[], reason="valid")

    compact = "".join((to_halfwidth(raw) or "").split()) if isinstance(raw, str) else printed
    compact = compact.replace("-", "")
    alts = _align_alternatives(raw, compact, alternatives)
    # specks of toner or dust read as punctuation between the characters (2307·1962.0218):
    # no character of a number, so dropping them changes no digit that was read
    # (never taken for an erased digit: 17 digits and a speck are 17 digits)
    dropped: list[tuple[int, str, str]] = []
    keep = [i for i in range(len(compact)) if not is_speck(compact, i)]
    if len(keep) < len(compact):
        dropped = [(i, compact[i], "") for i in range(len(compact)) if i not in set(keep)]
        alts = [alts[i] for i in keep] if len(alts) == len(compact) else [[] for _ in keep]
        compact = "".join(compact[i] for i in keep)
    if len(compact) != 18:
        return Repair(value=printed, repaired=False, reason="length")
    if dropped:
        check = validate(compact, today=today)
        if check.kind in ("id18", "hmt_residence") and check.ok:
            return Repair(value=check.value, repaired=True, candidates=[check.value], reason="specks_dropped",
                          edits=dropped)

    bd = normalize_date(printed_birth_date) if printed_birth_date is not None else None
    birth = bd.replace("-", "") if bd and len(bd) == 10 else None
    sex = normalize_sex(printed_sex) if printed_sex is not None else None

    # base: the printed chars, with case-only fixes (x -> X) that are not substitutions
    base = list(compact)
    if base[17] == "x":
        base[17] = "X"
    mandatory: list[int] = []
    options: dict[int, list[str]] = {}
    for pos, ch in enumerate(base):
        opts: list[str] = []
        if not _allowed(pos, ch):
            mandatory.append(pos)
            mapped = CONFUSABLES.get(ch)
            if mapped is None and ch.upper() in _DIGITS:
                mapped = ch.upper()
            if mapped is not None:
                opts.append(mapped)
        for a in alts[pos]:
            if _allowed(pos, a) and a != ch and a not in opts:
                opts.append(a)
        if birth is not None and 6 <= pos < 14 and birth[pos - 6] != ch and birth[pos - 6] not in opts:
            opts.append(birth[pos - 6])
        if pos in mandatory and not opts:
            opts = list(_DIGITS + ("X" if pos == 17 else ""))
        if opts:
            options[pos] = opts

    if len(mandatory) > MAX_SUBSTITUTIONS:
        return Repair(value=printed, repaired=False, reason="too_many_errors")

    optional = [p for p in options if p not in mandatory]
    hit_limit = False
    for n_subs in range(max(1, len(mandatory)), MAX_SUBSTITUTIONS + 1):
        combos = [
            sorted(mandatory + list(extra))
            for extra in itertools.combinations(optional, n_subs - len(mandatory))
        ]
        size = sum(_product_size(options, positions) for positions in combos)
        if size > MAX_CANDIDATES:
            hit_limit = True  # an incomplete search must not decide anything
            break
        valid: dict[str, list[tuple[int, str, str]]] = {}
        for positions in combos:
            for chars in itertools.product(*(options[p] for p in positions)):
                cand = base[:]
                for p, c in zip(positions, chars):
                    cand[p] = c
                s = "".join(cand)
                if s not in valid and _is_valid(s, birth, sex, today):
                    valid[s] = dropped + [(p, compact[p], c) for p, c in zip(positions, chars)]
        if len(valid) == 1:
            ((value, edits),) = valid.items()
            return Repair(value=value, repaired=True, candidates=[value], reason="repaired", edits=edits)
        if len(valid) > 1:
            return Repair(value=printed, repaired=False, candidates=sorted(valid), reason="ambiguous")
    return Repair(value=printed, repaired=False, reason="search_limit" if hit_limit else "no_candidate")


def _product_size(options: dict[int, list[str]], positions: Sequence[int]) -> int:
    size = 1
    for p in positions:
        size *= len(options[p])
    return size
