"""Synthetic golden records and extracted documents (no real data): vectorised with numpy so a
million people take seconds. Used by scripts/bench_crosscheck.py and the tests.

ID numbers use real county codes (MCA snapshot), valid birth dates and valid check characters;
names are drawn from common surnames and given-name characters; bank accounts pass Luhn.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from schemas.result import DocumentResult, ExtractionResult, FieldResult

from .address import _index
from .models import GOLDEN_FIELDS
from .normalize import DISABILITY_CATEGORIES, DISABILITY_LEVELS, ID_CHECK, ID_WEIGHTS

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志强"
             "海波宁林东文斌浩宇晨欣怡佳琪梦婷思雨子涵俊杰博涛浩然宏伟春梅冬梅小龙永生德福金凤"
             "淑珍秀珍桂兰玉兰凤英春花荣庆振华卫东立新建华海燕丽华晓明晓燕雪梅红霞")
ETHNIC = ["壮", "回", "满", "维吾尔", "苗", "彝", "土家", "藏", "蒙古", "侗"]
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平街", "胜利路", "新华街", "光明路", "文化路",
           "朝阳路", "幸福路", "团结街", "青年路", "长安街", "东风路", "育才路", "北京路", "南京路"]
EPOCH = np.datetime64("1970-01-01", "D")


@lru_cache(maxsize=1)
def _divisions() -> tuple[np.ndarray, np.ndarray]:
    """(county codes, address prefixes 'province city county')."""
    idx = _index()
    codes, prefixes = [], []
    for div in idx.by_code.values():
        if div.level != 3 or div.name in ("市辖区",):
            continue
        parent = idx.by_code.get(div.parent)
        if parent is None:
            continue
        if parent.level == 1:
            prov, city = parent, None
        else:
            prov, city = idx.by_code.get(parent.parent), parent
        if prov is None:
            continue
        codes.append(div.code)
        prefixes.append(prov.name + (city.name if city else "") + div.name)
    return np.array(codes), np.array(prefixes)


def _digits(strings: np.ndarray, width: int) -> np.ndarray:
    b = np.frombuffer(strings.astype(f"S{width}").tobytes(), dtype=np.uint8).reshape(-1, width)
    return (b - 48).astype(np.int64)


def check_chars(first17: np.ndarray) -> np.ndarray:
    d = _digits(first17, 17)
    s = (d * np.array(ID_WEIGHTS)).sum(axis=1) % 11
    return np.array(list(ID_CHECK))[s]


def luhn_complete(payload: np.ndarray, width: int) -> np.ndarray:
    d = _digits(payload, width)
    pos_from_right = np.arange(width)[::-1]
    dbl = (pos_from_right % 2 == 0)
    x = np.where(dbl, d * 2, d)
    x = np.where(x > 9, x - 9, x)
    check = (10 - x.sum(axis=1) % 10) % 10
    return np.char.add(payload, check.astype(str))


def _pad(a: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(a.astype(str), width)


@dataclass
class People:
    """Columns of N synthetic golden records (numpy arrays of str; '' = empty)."""
    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["id_number"])

    def row(self, i: int) -> dict[str, Any]:
        r = {k: (str(v[i]) if v[i] != "" else None) for k, v in self.cols.items()}
        fn = r.get("former_names")
        r["former_names"] = fn.split("、") if fn else []
        return r

    def rows(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self.row(i)

    def db_rows(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Rows ready for `SqlGoldenStore.upsert_many` (already in normal form)."""
        stop = len(self) if stop is None else stop
        out = []
        c = self.cols
        keys = [k for k in GOLDEN_FIELDS]
        for i in range(start, stop):
            r = {k: (str(c[k][i]) or None) for k in keys}
            r["former_names"] = r["former_names"].split("、") if r["former_names"] else []
            r["name_key"] = r["name"]
            for k in ("birth_date", "death_date"):
                if r[k]:
                    r[k] = date.fromisoformat(r[k])
            out.append(r)
        return out

    def write_csv(self, path: str | Path) -> None:
        c = self.cols
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(GOLDEN_FIELDS)
            w.writerows(zip(*(c[k].tolist() for k in GOLDEN_FIELDS)))


def generate_people(n: int, seed: int = 7) -> People:
    rng = np.random.default_rng(seed)
    codes, prefixes = _divisions()
    m = int(n * 1.02) + 16
    di = rng.integers(0, len(codes), m)
    lo = (np.datetime64("1930-01-01") - EPOCH).astype(int)
    hi = (np.datetime64("2005-12-31") - EPOCH).astype(int)
    days = rng.integers(lo, hi, m)
    bdates = (EPOCH + days.astype("timedelta64[D]")).astype(str)  # YYYY-MM-DD
    ymd8 = np.char.replace(bdates, "-", "")
    seq = rng.integers(0, 1000, m)
    first17 = np.char.add(np.char.add(codes[di], ymd8), _pad(seq, 3))
    ids = np.char.add(first17, check_chars(first17))
    _, keep = np.unique(ids, return_index=True)
    keep = np.sort(keep)[:n]
    di, days, bdates, seq, ids = di[keep], days[keep], bdates[keep], seq[keep], ids[keep]
    n = len(ids)

    sur = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    g2 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    two = rng.random(n) < 0.7
    names = np.where(two, np.char.add(np.char.add(sur, g1), g2), np.char.add(sur, g1))
    former = np.where(rng.random(n) < 0.03,
                      np.char.add(sur, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]), "")
    former = np.where(former == names, "", former)
    sex = np.where(seq % 2 == 1, "男", "女")
    eth = np.where(rng.random(n) < 0.91, "汉", np.array(ETHNIC)[rng.integers(0, len(ETHNIC), n)])
    street = np.array(STREETS)[rng.integers(0, len(STREETS), n)]
    num = rng.integers(1, 300, n).astype(str)
    addr = np.char.add(np.char.add(np.char.add(prefixes[di], street), num), "号")

    today = (np.datetime64("2025-06-30") - EPOCH).astype(int)
    age_days = today - days
    dead = (rng.random(n) < 0.06) & (age_days > 365 * 30)
    death_off = (rng.random(n) * (age_days - 365 * 20)).astype(np.int64) + 365 * 20
    ddates = np.where(dead, (EPOCH + (days + death_off).astype("timedelta64[D]")).astype(str), "")
    status = np.where(dead, "deceased", "alive")
    old = age_days >= 365 * 60
    pension = np.where(dead, "stopped", np.where(old & (rng.random(n) < 0.9), "receiving", "none"))

    dis = rng.random(n) < 0.08
    cat = rng.integers(1, 8, n).astype(str)
    lvl = rng.integers(1, 5, n).astype(str)
    dis_num = np.where(dis, np.char.add(np.char.add(ids, cat), lvl), "")
    dis_cat = np.where(dis, np.array([DISABILITY_CATEGORIES[k] for k in "1234567"])[cat.astype(int) - 1], "")
    dis_lvl = np.where(dis, np.array([DISABILITY_LEVELS[k] for k in "1234"])[lvl.astype(int) - 1], "")
    ssn = np.where(rng.random(n) < 0.9, ids, "")
    payload = np.char.add("6222", _pad(rng.integers(0, 10**14, n, dtype=np.int64), 14))
    bank = luhn_complete(payload, 18)

    return People(cols={
        "id_number": ids, "name": names, "former_names": former, "sex": sex, "ethnicity": eth,
        "birth_date": bdates, "address": addr, "status": status, "death_date": ddates,
        "disability_certificate_number": dis_num, "disability_category": dis_cat,
        "disability_level": dis_lvl, "social_security_number": ssn, "bank_account": bank,
        "pension_status": pension,
    })


# --------------------------------------------------------------------------- documents
@lru_cache(maxsize=1)
def _s2t():
    from opencc import OpenCC

    return OpenCC("s2t")


def _full(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


_CN = "〇一二三四五六七八九"


def _cn_num(n: int) -> str:
    if n < 10:
        return _CN[n]
    t, o = divmod(n, 10)
    return ("" if t == 1 else _CN[t]) + "十" + (_CN[o] if o else "")


def date_variant(iso: str, rng: np.random.Generator, handwritten: bool = False) -> str:
    y, m, d = iso.split("-")
    k = int(rng.integers(0, 6 if handwritten else 5))
    if k == 0:
        return iso
    if k == 1:
        return f"{y}年{int(m)}月{int(d)}日"
    if k == 2:
        return f"{y}.{m}.{d}"
    if k == 3:
        return f"{y}{m}{d}"
    if k == 4:
        return _full(f"{y}年{int(m)}月{int(d)}日")
    return "".join(_CN[int(c)] for c in y) + "年" + _cn_num(int(m)) + "月" + _cn_num(int(d)) + "日"


def name_variant(name: str, rng: np.random.Generator) -> str:
    k = rng.random()
    if k < 0.15:
        return _s2t().convert(name)
    if k < 0.25:
        return " ".join(name)
    return name


def id_variant(idn: str, rng: np.random.Generator) -> str:
    k = rng.random()
    if k < 0.1:
        return _full(idn)
    if k < 0.2:
        return f"{idn[:6]} {idn[6:14]} {idn[14:]}"
    return idn.lower() if idn.endswith("X") and k < 0.3 else idn


def address_variant(addr: str, rng: np.random.Generator) -> str:
    k = rng.random()
    if k < 0.1:
        return _s2t().convert(addr)
    if k < 0.2:
        return _full(addr)
    if k < 0.3:  # province left out (the county keeps it unambiguous with the golden hint)
        from .address import parse_address
        p = parse_address(addr)
        if p.province and p.city and addr.startswith(p.province.name):
            return addr[len(p.province.name):]
    return addr


def _f(value: Any, rng: np.random.Generator, low: float = 0.0) -> FieldResult:
    c = float(rng.uniform(0.7, 0.9)) if rng.random() < low else float(rng.uniform(0.92, 0.999))
    return FieldResult(value=value, confidence=round(c, 3), raw=str(value))


def make_document(doc_type: str, p: dict[str, Any], rng: np.random.Generator, *,
                  low_conf: float = 0.1, death_date: str | None = None) -> DocumentResult:
    """A clean extracted document of `doc_type` for person `p` (a `People.row`), with realistic
    formatting variation (traditional script, full width, date forms) but no discrepancy."""
    v: dict[str, Any] = {}
    eth = p["ethnicity"] + ("族" if rng.random() < 0.5 else "")
    if doc_type == "id_card_front":
        v = {"name": name_variant(p["name"], rng), "sex": p["sex"], "ethnicity": eth,
             "birth_date": date_variant(p["birth_date"], rng), "address": address_variant(p["address"], rng),
             "id_number": id_variant(p["id_number"], rng)}
    elif doc_type == "death_certificate":
        dd = death_date or p.get("death_date") or "2025-03-01"
        # an old person's death certificate may carry a former name (曾用名)
        nm = p["former_names"][0] if p.get("former_names") and rng.random() < 0.5 else p["name"]
        v = {"deceased_name": name_variant(nm, rng), "sex": p["sex"], "ethnicity": eth,
             "id_number": id_variant(p["id_number"], rng),
             "birth_date": date_variant(p["birth_date"], rng, True),
             "death_date": date_variant(dd, rng, True), "place_of_death": "医院",
             "cause_of_death": "心力衰竭"}
    elif doc_type == "disability_certificate":
        lvl = p["disability_level"]
        v = {"name": name_variant(p["name"], rng), "sex": p["sex"], "ethnicity": eth,
             "birth_date": date_variant(p["birth_date"], rng), "id_number": id_variant(p["id_number"], rng),
             "certificate_number": p["disability_certificate_number"],
             "disability_category": p["disability_category"] if rng.random() < 0.5 else p["disability_category"][:2],
             "disability_level": lvl if rng.random() < 0.5 else {"一级": "壹级", "二级": "贰级", "三级": "叁级",
                                                                   "四级": "肆级"}[lvl],
             "address": address_variant(p["address"], rng)}
    elif doc_type == "household_register":
        idn = p["id_number"]
        # an old register may still print the 15-digit number
        if idn[6:8] == "19" and rng.random() < 0.1:
            idn = idn[:6] + idn[8:17]
        v = {"name": name_variant(p["name"], rng), "relationship": "户主", "sex": p["sex"], "ethnicity": eth,
             "birth_date": date_variant(p["birth_date"], rng), "id_number": id_variant(idn, rng),
             "address": address_variant(p["address"], rng)}
    elif doc_type == "social_security_card":
        v = {"name": name_variant(p["name"], rng),
             "social_security_number": id_variant(p["social_security_number"] or p["id_number"], rng),
             "card_number": "A" + str(rng.integers(10**7, 10**8)), "issue_date": "2016-05-01"}
    elif doc_type == "bank_card":
        acct = p["bank_account"]
        v = {"bank": "中国工商银行",
             "card_number": " ".join(acct[i:i + 4] for i in range(0, len(acct), 4)) if rng.random() < 0.5 else acct}
    fields = {k: _f(val, rng, low_conf) for k, val in v.items() if val is not None}
    return DocumentResult(type=doc_type, page=1, confidence=0.95, needs_review=False, fields=fields)


def make_result(docs: list[DocumentResult], source: str) -> ExtractionResult:
    return ExtractionResult(source=source, sha256="0" * 64, pages=len(docs), documents=docs)


def shift_date(iso: str, days: int) -> str:
    return (date.fromisoformat(iso) + timedelta(days=days)).isoformat()


__all__ = ["generate_people", "People", "make_id", "make_document", "make_result", "check_chars",
           "luhn_complete", "date_variant", "name_variant", "shift_date"]


def make_id(division: str, birth_date: str, seq: int) -> str:
    """A valid 18-character ID number (check character computed)."""
    first17 = f"{division}{birth_date.replace('-', '')}{seq:03d}"
    from .normalize import id_check_char

    return first17 + id_check_char(first17)
