"""Invented facts for the claim documents beyond ID cards and medical certificates.

Everything is drawn from a seeded :class:`numpy.random.Generator`; nothing here is real personal data
(bank BINs are the public issuer prefixes printed on millions of cards; the remaining digits are
random with a valid Luhn check digit).

Public API
----------
- bank cards: :func:`luhn_check_digit`, :func:`luhn_ok`, :func:`make_bank_card` -> :class:`BankCard`,
  :func:`group_card_number`, ``BANKS``
- social security: :func:`make_social_security_card_number`, ``SOCIAL_SECURITY_BANKS``
- disability: ``DISABILITY_CATEGORIES`` (digit -> full name), :func:`disability_level_text`,
  :func:`make_disability` -> (category digit, level digit), :func:`disability_certificate_number`
- death: :func:`make_death_causes` -> :class:`DeathCauses`, ``PLACES_OF_DEATH``
- household register: :func:`make_relationship`, ``EDUCATION``, ``MARITAL``, ``OCCUPATIONS``
- discharge summaries: :func:`make_stay` -> :class:`Stay` (dates, diagnoses and the narrative
  paragraphs 入院情况 / 诊疗经过 / 出院情况 / 出院医嘱)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from .people import TODAY, Person, _choice, age_on, pick_diagnoses

# ------------------------------------------------------------------------------------------
# bank cards (ISO/IEC 7812 Luhn)
# ------------------------------------------------------------------------------------------


def luhn_check_digit(body: str) -> str:
    """The Luhn digit to append to ``body`` (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled: the rightmost body digit sits next to the check digit
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return number.isdigit() and len(number) >= 2 and luhn_check_digit(number[:-1]) == number[-1]


# (bank name as printed, short English name, issuer prefixes, usual lengths, brand colour RGB)
BANKS: list[tuple[str, str, tuple[str, ...], tuple[int, ...], tuple[int, int, int]]] = [
    ("中国工商银行", "ICBC", ("622202", "621226", "622208", "621558"), (19,), (196, 30, 40)),
    ("中国农业银行", "AGRICULTURAL BANK OF CHINA", ("622848", "622845", "621282", "623052"), (19,), (0, 135, 110)),
    ("中国银行", "BANK OF CHINA", ("621661", "621663", "621785", "621790", "456351"), (19, 16), (175, 30, 45)),
    ("中国建设银行", "CHINA CONSTRUCTION BANK", ("621700", "622700", "436742", "621284"), (19, 16), (0, 70, 150)),
    ("交通银行", "BANK OF COMMUNICATIONS", ("622262", "622260", "621069"), (19, 17), (20, 50, 120)),
    ("中国邮政储蓄银行", "POSTAL SAVINGS BANK OF CHINA", ("621799", "622188", "621098"), (19,), (0, 120, 60)),
    ("招商银行", "CHINA MERCHANTS BANK", ("621483", "622588", "621286"), (16,), (200, 20, 40)),
    ("中信银行", "CHINA CITIC BANK", ("621771", "622690"), (16,), (190, 20, 30)),
    ("兴业银行", "INDUSTRIAL BANK", ("622909", "622908"), (18,), (0, 60, 140)),
    ("浦发银行", "SPD BANK", ("622521", "621792"), (16,), (20, 60, 130)),
    ("农村商业银行", "RURAL COMMERCIAL BANK", ("621458", "623190", "622319"), (19,), (0, 120, 80)),
    ("农村信用合作联社", "RURAL CREDIT COOPERATIVE", ("622369", "621067", "623520"), (19,), (0, 110, 70)),
]
# banks that issue social security cards (the card carries a bank account)
SOCIAL_SECURITY_BANKS = ["中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行",
                         "中国邮政储蓄银行", "农村商业银行", "农村信用合作联社"]


@dataclass
class BankCard:
    bank: str
    bank_en: str
    number: str           # digits only, Luhn-valid
    color: tuple[int, int, int]
    valid_thru: str       # "MM/YY"
    kind: str             # 借记卡 | 信用卡


def make_bank_card(rng: np.random.Generator, bank: str | None = None) -> BankCard:
    """A card number of 16–19 digits with a real issuer prefix and a valid Luhn digit."""
    rows = [b for b in BANKS if bank is None or b[0] == bank] or BANKS
    name, en, prefixes, lengths, color = rows[int(rng.integers(len(rows)))]
    if bank and not name.endswith(bank) and bank not in name:
        name = bank
    prefix = _choice(rng, list(prefixes))
    n = int(_choice(rng, list(lengths)))
    body = prefix + "".join(str(int(d)) for d in rng.integers(0, 10, n - len(prefix) - 1))
    number = body + luhn_check_digit(body)
    m, y = int(rng.integers(1, 13)), int(rng.integers(TODAY.year + 1, TODAY.year + 11)) % 100
    kind = "信用卡" if (n == 16 and rng.random() < 0.5) else "借记卡"
    return BankCard(name, en, number, color, f"{m:02d}/{y:02d}", kind)


def group_card_number(number: str, rng: np.random.Generator | None = None) -> list[str]:
    """Groups as printed: 4-4-4-4(-3), sometimes 6-13 for 19 digits."""
    if len(number) == 19 and rng is not None and rng.random() < 0.25:
        return [number[:6], number[6:]]
    return [number[i:i + 4] for i in range(0, len(number), 4)]


def make_social_security_card_number(rng: np.random.Generator) -> str:
    """9 characters: an upper-case letter and 8 digits (the card's own number, 卡号)."""
    letter = _choice(rng, list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    return letter + "".join(str(int(d)) for d in rng.integers(0, 10, 8))


# ------------------------------------------------------------------------------------------
# disability (第二代残疾人证)
# ------------------------------------------------------------------------------------------
DISABILITY_CATEGORIES = {1: "视力残疾", 2: "听力残疾", 3: "言语残疾", 4: "肢体残疾", 5: "智力残疾",
                         6: "精神残疾", 7: "多重残疾"}
_LEVEL_CN = "一二三四"
_LEVEL_CAP = "壹贰叁肆"


def disability_level_text(level: int, style: str = "cn") -> str:
    """'二级' (cn), '贰级' (cap) or '2级' (digit)."""
    if style == "cap":
        return _LEVEL_CAP[level - 1] + "级"
    if style == "digit":
        return f"{level}级"
    return _LEVEL_CN[level - 1] + "级"


def make_disability(rng: np.random.Generator) -> tuple[int, int]:
    """(category digit 1–7, level digit 1–4); limb disabilities are the most common."""
    cat = int(_choice(rng, [1, 2, 3, 4, 5, 6, 7], [12, 14, 2, 45, 8, 12, 7]))
    level = int(_choice(rng, [1, 2, 3, 4], [18, 27, 28, 27]))
    return cat, level


def disability_certificate_number(id_number: str, category: int, level: int) -> str:
    return f"{id_number}{category}{level}"


# ------------------------------------------------------------------------------------------
# death certificate (居民死亡医学证明(推断)书)
# ------------------------------------------------------------------------------------------
# chains: (a) direct cause, then the conditions leading to it (b)..(d); intervals per line
_DEATH_CHAINS: list[tuple[str, ...]] = [
    ("急性心肌梗死", "冠状动脉粥样硬化性心脏病", "高血压病3级"),
    ("脑出血", "高血压病3级"),
    ("大面积脑梗死", "心房颤动", "风湿性心脏病"),
    ("呼吸衰竭", "重症肺炎", "慢性阻塞性肺疾病"),
    ("呼吸循环衰竭", "肺恶性肿瘤广泛转移", "肺恶性肿瘤"),
    ("多器官功能衰竭", "感染性休克", "重症肺炎"),
    ("肝性脑病", "肝硬化失代偿期", "慢性乙型病毒性肝炎"),
    ("上消化道大出血", "食管胃底静脉曲张破裂", "肝硬化"),
    ("慢性心力衰竭急性加重", "扩张型心肌病"),
    ("尿毒症", "慢性肾脏病5期", "糖尿病肾病", "2型糖尿病"),
    ("恶病质", "胃恶性肿瘤晚期"),
    ("肺栓塞", "股骨颈骨折术后", "骨质疏松症"),
    ("心源性猝死", "冠状动脉粥样硬化性心脏病"),
    ("重症肺炎", "阿尔茨海默病"),
    ("肝衰竭", "肝细胞癌"),
    ("脑疝", "脑出血", "高血压病"),
    ("窒息", "吸入性肺炎", "脑梗死后遗症"),
    ("感染性休克", "急性化脓性胆管炎", "胆总管结石"),
    ("急性左心衰竭", "高血压性心脏病"),
    ("慢性阻塞性肺疾病急性加重", "慢性肺源性心脏病"),
]
_OTHER_CONDITIONS = ["2型糖尿病", "高血压病", "慢性肾功能不全", "贫血", "低蛋白血症", "高脂血症",
                     "帕金森病", "陈旧性脑梗死", "骨质疏松症", "前列腺增生"]
_INTERVALS = ["30分钟", "2小时", "6小时", "1天", "3天", "1周", "2周", "1月", "3月", "半年", "1年",
              "3年", "5年", "10年", "10余年", "20年"]
PLACES_OF_DEATH = ["医疗卫生机构", "来院途中", "家中", "养老服务机构", "其他场所", "不详"]
DIAGNOSIS_UNITS = ["三级医院", "二级医院", "乡镇卫生院/社区卫生服务中心", "村卫生室", "其他医疗卫生机构", "未就诊"]
DIAGNOSIS_BASIS = ["尸检", "病理", "手术", "临床+理化", "临床", "死后推断", "不详"]


@dataclass
class DeathCauses:
    chain: list[str]                  # (a), (b), ... ; chain[0] is the direct cause
    intervals: list[str]              # one per chain line (printed in 发病至死亡大概间隔时间)
    other: list[str]                  # Ⅱ other significant conditions
    place: str
    death_date: dt.date
    death_time: tuple[int, int]
    issue_date: dt.date
    unit: str
    basis: str


def make_death_causes(rng: np.random.Generator, person: Person) -> DeathCauses:
    chain = list(_choice(rng, _DEATH_CHAINS))
    # intervals grow down the chain
    idx = sorted(int(v) for v in rng.choice(len(_INTERVALS), size=len(chain), replace=False))
    intervals = [_INTERVALS[i] for i in idx]
    other = []
    if rng.random() < 0.55:
        other = [o for o in rng.permutation(_OTHER_CONDITIONS)[: int(rng.integers(1, 3))].tolist()
                 if o not in chain]
    lo = max(person.birth_date + dt.timedelta(days=400), TODAY - dt.timedelta(days=900))
    span = max(1, (TODAY - dt.timedelta(days=3) - lo).days)
    death = lo + dt.timedelta(days=int(rng.integers(0, span)))
    place = _choice(rng, PLACES_OF_DEATH, [50, 4, 36, 6, 3, 1])
    issue = death + dt.timedelta(days=int(_choice(rng, [0, 0, 0, 1, 1, 2, 3])))
    return DeathCauses(chain, intervals, other, place, death,
                       (int(rng.integers(0, 24)), int(rng.integers(0, 60))), issue,
                       _choice(rng, DIAGNOSIS_UNITS, [40, 30, 15, 5, 5, 5]),
                       _choice(rng, DIAGNOSIS_BASIS, [1, 8, 6, 45, 30, 8, 2]))


# ------------------------------------------------------------------------------------------
# household register (常住人口登记卡)
# ------------------------------------------------------------------------------------------
EDUCATION = ["文盲或半文盲", "小学", "初中", "高中", "中等专科", "大学专科", "大学本科", "研究生"]
MARITAL = ["未婚", "已婚", "丧偶", "离婚"]
OCCUPATIONS = ["农民", "工人", "职员", "个体经营", "退休", "教师", "医生", "无业", "学生", "务农",
               "自由职业", "公务员", "司机", "厨师"]
_WORKPLACES = ["无", "务农", "个体", "{county}第一中学", "{county}人民医院", "{city}某某有限公司",
               "{county}供销合作社", "退休", "{township}人民政府"]


def make_relationship(rng: np.random.Generator, person: Person) -> str:
    """户主 or the relation to the head of household, plausible for sex and age."""
    age = person.age
    male = person.sex == "男"
    if age >= 30 and rng.random() < 0.5:
        return "户主"
    if age >= 22:
        opts = (["夫", "子", "长子", "次子", "父", "兄", "弟", "女婿"] if male
                else ["妻", "女", "长女", "次女", "母", "儿媳", "姐", "妹"])
        w = [5, 3, 2, 1, 1, 1, 1, 1] if male else [6, 3, 2, 1, 1, 2, 1, 1]
        if age >= 60:
            opts, w = (["户主", "父", "夫"], [5, 3, 3]) if male else (["户主", "母", "妻"], [3, 3, 5])
        return _choice(rng, opts, w)
    opts = ["子", "长子", "次子", "孙子", "外孙子"] if male else ["女", "长女", "次女", "孙女", "外孙女"]
    return _choice(rng, opts, [5, 2, 1, 2, 1])


def make_workplace(rng: np.random.Generator, person: Person) -> str:
    city = person.city
    return _choice(rng, _WORKPLACES).format(county=person.county, city=city,
                                            township=person.township or person.county)


def birthplace(rng: np.random.Generator, person: Person) -> str:
    """出生地 as printed on 常住人口登记卡 ('湖南省长沙市望城区' style, sometimes shorter)."""
    parts = [person.province]
    if person.city and person.city != person.province:
        parts.append(person.city)
    if person.county not in parts:
        parts.append(person.county)
    if rng.random() < 0.2 and len(parts) > 2:
        parts = parts[:2]
    return "".join(parts)


def native_place(rng: np.random.Generator, person: Person) -> str:
    """籍贯: province + county, often shortened ('河北省任丘市', '河北任丘')."""
    prov = person.province
    county = person.county
    if rng.random() < 0.4:
        for suf in ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区"):
            if prov.endswith(suf):
                prov = prov[: -len(suf)]
                break
    return prov + county


# ------------------------------------------------------------------------------------------
# discharge summary (出院记录 / 出院小结)
# ------------------------------------------------------------------------------------------
_SYMPTOMS = ["反复胸闷、气促", "头晕、头痛", "咳嗽、咳痰伴发热", "右侧肢体乏力", "腰背部疼痛",
             "上腹部疼痛", "双下肢水肿", "多饮、多尿、消瘦", "言语不清", "反复心悸", "呕血、黑便",
             "跌倒后右髋部疼痛、活动受限", "意识障碍", "活动后气喘", "左膝关节疼痛"]
_DURATIONS = ["2小时", "6小时", "1天", "3天", "5天", "1周", "半月", "1月", "3月", "半年", "2年", "10余年"]
_VITALS = "T {t}℃，P {p}次/分，R {r}次/分，BP {sbp}/{dbp}mmHg"
_EXAMS = ["神志清楚，精神差，查体合作", "神志清，精神可，自主体位", "双肺呼吸音粗，可闻及湿啰音",
          "心率{p}次/分，律不齐，各瓣膜听诊区未闻及病理性杂音", "腹软，上腹部压痛，无反跳痛",
          "右侧肢体肌力3级，左侧肌力5级，右侧巴氏征阳性", "双下肢凹陷性水肿", "腰椎活动受限，L4/5棘突压痛",
          "右下肢短缩外旋畸形，右髋部压痛明显"]
_TESTS = ["血常规：WBC {wbc}×10^9/L，NEUT% {neut}%", "头颅CT示：左侧基底节区低密度影",
          "胸部CT示：双肺下叶炎症", "心电图示：窦性心律，ST-T改变", "空腹血糖{glu}mmol/L，糖化血红蛋白{a1c}%",
          "心脏彩超示：左室舒张功能减退，EF {ef}%", "腰椎MRI示：L4/5椎间盘突出", "肝功能：ALT {alt}U/L",
          "BNP {bnp}pg/ml", "肌酐{cr}μmol/L", "胃镜示：胃窦溃疡", "髋关节X线示：右股骨颈骨折"]
_TREATMENTS = ["抗感染", "化痰", "平喘", "降压", "降糖", "调脂稳斑", "抗血小板聚集", "改善循环",
               "营养神经", "护胃", "利尿", "扩冠", "止痛", "补液", "纠正电解质紊乱", "康复训练",
               "抑酸止血", "控制心室率", "抗凝", "营养支持"]
_PROCEDURES = ["于{d}在局麻下行冠状动脉造影+支架植入术", "于{d}在全麻下行右侧人工股骨头置换术",
               "于{d}行胃镜下止血治疗", "于{d}在腰麻下行腰椎间盘髓核摘除术", "于{d}行血液透析治疗"]
_DRUGS = ["阿司匹林肠溶片 100mg 每日一次", "阿托伐他汀钙片 20mg 每晚一次", "苯磺酸氨氯地平片 5mg 每日一次",
          "二甲双胍缓释片 0.5g 每日两次", "硫酸氢氯吡格雷片 75mg 每日一次", "呋塞米片 20mg 每日一次",
          "奥美拉唑肠溶胶囊 20mg 每日两次", "甲钴胺片 0.5mg 每日三次", "美托洛尔缓释片 47.5mg 每日一次",
          "阿卡波糖片 50mg 每日三次", "氯沙坦钾片 50mg 每日一次", "华法林钠片 2.5mg 每日一次"]
_ADVICE = ["低盐低脂饮食，注意休息，避免劳累", "按时服药，不可自行停药", "定期监测血压、血糖",
           "{n}周后门诊复查血常规、肝肾功能", "出院后{n}周于{dept}门诊随诊", "如有不适，及时就诊",
           "戒烟限酒，适当活动", "加强康复锻炼，防跌倒", "伤口定期换药，{n}周后拆线",
           "注意保暖，预防感冒"]
_OUTCOMES = ["患者一般情况可，{s}较前明显好转，无发热，饮食睡眠可，二便正常",
             "患者神志清，精神可，诉{s}症状缓解，生命体征平稳",
             "患者病情稳定，复查相关指标较前好转，准予出院",
             "患者症状改善，查体：双肺呼吸音清，未闻及干湿啰音，心律齐"]


_HISTORY = ["既往有高血压病史{d}，规律服药，血压控制可", "既往有2型糖尿病史{d}，口服降糖药治疗",
            "既往体健，否认肝炎、结核等传染病史", "否认手术、外伤及输血史，否认药物过敏史",
            "既往有冠心病史{d}，长期口服阿司匹林", "有吸烟史30余年，每日约20支"]
_ROUNDS = ["主任医师", "主治医师", "副主任医师", "科主任"]
_PROGRESS = ["患者诉{s0}较前减轻，查体：生命体征平稳", "患者精神食欲好转，夜间睡眠可，查体：BP {sbp}/{dbp}mmHg",
             "患者仍有{s0}，程度较前减轻，双肺呼吸音较前清晰", "患者病情平稳，未诉特殊不适，心率{p}次/分"]
_PLANS = ["继续目前治疗方案", "调整用药，加强{t}治疗", "予以{t}治疗", "停用静脉用药，改口服药物治疗"]


@dataclass
class Stay:
    admission: dt.date
    discharge: dt.date
    days: int
    admission_diagnoses: list[str]
    discharge_diagnoses: list[str]
    department: str
    bed: str
    admission_text: str         # 入院情况
    course_text: str            # 诊疗经过
    discharge_text: str         # 出院情况
    orders: list[str] = field(default_factory=list)   # 出院医嘱 items
    symptom: str = ""
    duration: str = ""


def _fill(rng, template: str, **kw) -> str:
    vals = dict(t=f"{rng.uniform(36.2, 38.6):.1f}", p=int(rng.integers(58, 118)), r=int(rng.integers(16, 26)),
                sbp=int(rng.integers(105, 190)), dbp=int(rng.integers(60, 110)),
                wbc=f"{rng.uniform(3.2, 16.5):.2f}", neut=f"{rng.uniform(45, 92):.1f}",
                glu=f"{rng.uniform(5.2, 16):.1f}", a1c=f"{rng.uniform(5.5, 11):.1f}",
                ef=int(rng.integers(30, 66)), alt=int(rng.integers(12, 180)), bnp=int(rng.integers(80, 6000)),
                cr=int(rng.integers(50, 620)), s0=_choice(rng, ["胸闷", "头晕", "咳嗽", "疼痛", "乏力", "气促"]))
    vals.update(kw)
    return template.format(**vals)


def make_stay(rng: np.random.Generator, person: Person, length: float = 1.0) -> Stay:
    """An inpatient stay with diagnoses and narrative paragraphs (``length`` scales the narrative)."""
    discharge = TODAY - dt.timedelta(days=int(rng.integers(2, 700)))
    days = int(_choice(rng, [3, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 18, 21, 25, 30, 42]))
    admission = discharge - dt.timedelta(days=days)
    age = age_on(person.birth_date, admission)
    adm, dept = pick_diagnoses(rng, n=int(_choice(rng, [1, 2, 2, 3, 3, 4])), sex=person.sex, age=age)
    dis = list(adm)
    if rng.random() < 0.6:
        extra, _ = pick_diagnoses(rng, n=int(rng.integers(1, 3)), sex=person.sex, age=age)
        dis += [d for d in extra if d not in dis]
    dis = dis[:5]
    sym, dur = _choice(rng, _SYMPTOMS), _choice(rng, _DURATIONS)
    n_exam = max(1, int(round(rng.integers(1, 4) * length)))
    exams = [_fill(rng, e) for e in rng.permutation(_EXAMS)[:n_exam].tolist()]
    adm_text = f"患者因“{sym}{dur}”入院。"
    if length > 1.2 or rng.random() < 0.4:
        adm_text += _choice(rng, _HISTORY).format(d=_choice(rng, _DURATIONS[6:])) + "。"
    adm_text += f"入院查体：{_fill(rng, _VITALS)}，" + "，".join(exams) + "。"
    if rng.random() < 0.6 * length:
        tests = [_fill(rng, t) for t in rng.permutation(_TESTS)[: int(rng.integers(1, 4))].tolist()]
        adm_text += "辅助检查：" + "；".join(tests) + "。"
    n_tr = max(2, int(round(rng.integers(3, 7) * length)))
    treats = rng.permutation(_TREATMENTS)[:n_tr].tolist()
    course = "入院后完善相关检查，" + "；".join(
        _fill(rng, t) for t in rng.permutation(_TESTS)[: max(1, int(round(rng.integers(1, 5) * length)))].tolist())
    course += f"。予以{'、'.join(treats)}等对症支持治疗"
    if rng.random() < 0.35:
        d = admission + dt.timedelta(days=int(rng.integers(1, max(2, days))))
        course += "，" + _choice(rng, _PROCEDURES).format(d=f"{d.year}-{d.month:02d}-{d.day:02d}")
    course += "。" + _choice(rng, ["经治疗后患者症状明显好转。", "住院期间病情平稳，未诉特殊不适。",
                                   "治疗过程顺利，无明显并发症。", "经积极治疗，病情好转。"])
    for k in range(int(round(max(0.0, length - 0.9) * 4))):  # long stays: ward-round notes
        d = admission + dt.timedelta(days=min(days - 1, 1 + k * max(1, days // 6)))
        course += (f"{d.month}月{d.day}日{_choice(rng, _ROUNDS)}查房：" + _fill(rng, _choice(rng, _PROGRESS))
                   + "，" + "；".join(_fill(rng, t) for t in rng.permutation(_TESTS)[: int(rng.integers(1, 3))].tolist())
                   + "，" + _choice(rng, _PLANS).format(t="、".join(rng.permutation(_TREATMENTS)[:2].tolist())) + "。")
    outcome = _fill(rng, _choice(rng, _OUTCOMES), s=sym.split("、")[0]) + "。"
    n_drug = int(rng.integers(1, 5))
    orders = [_choice(rng, _ADVICE[:3])]
    orders += ["继续口服：" + "；".join(rng.permutation(_DRUGS)[:n_drug].tolist())]
    orders += [_fill(rng, a, n=int(rng.integers(1, 5)), dept=dept)
               for a in rng.permutation(_ADVICE[3:])[: int(rng.integers(1, 4))].tolist()]
    bed = f"{int(rng.integers(1, 60))}" if rng.random() < 0.7 else f"{int(rng.integers(1, 40))}+"
    return Stay(admission, discharge, days, adm, dis, dept, bed, adm_text, course, outcome, orders, sym, dur)
