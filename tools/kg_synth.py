"""Synthetic disease records in the public format, sized like the public dataset
(``python -m bot kg synth``; ``kg bench`` benchmarks on such a file).

The public medical-KG crawl holds about 8,800 diseases, 44,000 nodes and 300,000
relations. It cannot be shipped, so benchmarks run on a generated file of the same
shape: per-disease list lengths match the public averages (about 6.5 symptoms,
7 recommended drugs, 4.5 checks ...), node pools match its label sizes, and names
are made-up but Chinese-looking and unique after normalisation (so ``kg check``
finds no near-duplicates). Everything is drawn from one seeded ``random.Random``:
the same seed gives the same file. Text fields are built from a phrase bank up to
``text_chars`` characters; keep them short for servers with small message limits.

Why: the public crawl cannot be shipped, yet the importer, the stores and the NLU must be
measured at its size and with its name overlaps; a seeded generator gives everyone the same file.

With ``names`` (``kg synth --names DIR``: one name per line in ``disease.txt``,
``symptom.txt``, ``drug.txt``, ``food.txt``, ``check.txt``, ``department.txt``, such as
the public entity names in ``../shared/kg_names``) the pools are those real names instead,
with their real overlaps (头痛 both a disease and a symptom, 糖尿 a symptom inside
糖尿病, 甲亢 an entry of its own and an alias elsewhere): the hospital-scale graph that
``bench hospital`` measures. Relations stay random; the records are for measuring, never
for patients.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set

from core.normalise import near_duplicate_key as normalise_name

# Node pool sizes per label for the full-size file (8,800 diseases), from the public crawl.
POOL_PER_DISEASE = {"symptom": 0.68, "drug": 0.435, "food": 0.55, "check": 0.38, "producer": 1.95}

# Relation list lengths per disease: (min, max), drawn uniformly.
LIST_LENGTHS = {
    "symptom": (3, 10),
    "acompany": (0, 3),
    "check": (2, 7),
    "do_eat": (1, 4),
    "not_eat": (1, 4),
    "recommand_eat": (2, 7),
    "common_drug": (0, 3),
    "recommand_drug": (4, 10),
    "drug_detail": (1, 3),
}

# Two-level department tree: parent -> children (54 departments, as in the public data).
DEPARTMENTS: Dict[str, List[str]] = {
    "内科": ["呼吸内科", "消化内科", "心内科", "神经内科", "肾内科", "内分泌科", "血液科", "风湿免疫科"],
    "外科": ["普外科", "骨科", "神经外科", "泌尿外科", "胸外科", "肝胆外科", "肛肠科", "烧伤科"],
    "妇产科": ["妇科", "产科", "生殖健康科"],
    "儿科": ["小儿内科", "小儿外科", "新生儿科"],
    "五官科": ["眼科", "耳鼻喉科", "口腔科"],
    "皮肤性病科": ["皮肤科", "性病科"],
    "中医科": ["中医内科", "中医外科", "针灸推拿科"],
    "肿瘤科": ["肿瘤内科", "肿瘤外科", "放疗科"],
    "精神科": ["心理科", "精神卫生科"],
    "传染科": ["肝病科", "感染科"],
    "急诊科": ["急诊内科"],
    "康复科": ["运动康复科"],
}

_ORGANS = "心肝脾肺肾胃肠胆胰喉鼻耳眼口牙舌唇颈肩腰背膝踝腕指趾皮肤骨髓脑脊血管淋巴甲状腺乳腺卵巢子宫前列"
_MODIFIERS = "急慢性原发继发良恶化脓萎缩增生肥厚硬化出血溃疡坏死钙结节囊肿水肿痉挛松弛狭窄扩张反流"
_DISEASE_SUFFIX = (
    "炎",
    "病",
    "症",
    "综合征",
    "瘤",
    "结石",
    "损伤",
    "功能障碍",
    "感染",
    "畸形",
    "衰竭",
    "溃疡",
)
_FEELINGS = "痛胀麻痒酸肿热冷沉紧僵刺灼闷晕鸣抖"
_SYMPTOM_SUFFIX = ("", "感", "不适", "加重", "反复", "无力", "异常", "增多", "减退")
_DRUG_STEMS = "阿苯奥贝达地多厄伏氟格海卡克拉雷利洛美莫尼诺帕泼曲瑞塞沙舒坦替托维西新亚伊唑"
_DRUG_FORMS = ("片", "胶囊", "颗粒", "注射液", "口服液", "软膏", "滴眼液", "缓释片", "分散片", "丸")
_FOOD_STEMS = "米面豆麦薯瓜果菜菇藕笋枣莲梨桃橙柚蕉鱼虾蟹鸡鸭鹅牛羊猪蛋奶姜葱蒜椒芝麻核桃"
_FOOD_DISHES = ("", "粥", "汤", "羹", "饼", "糕", "汁", "茶", "炖", "蒸")
_CHECK_WORDS = (
    "常规",
    "功能检查",
    "彩超",
    "CT",
    "MRI",
    "造影",
    "镜检查",
    "活检",
    "抗体测定",
    "电图",
    "穿刺",
    "培养",
)
_PLACES = "京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川贵云陕甘青蒙桂藏宁新港澳"
_BRAND = "康泰华恒瑞安宁和信德仁元宏远盛鑫昌隆福寿济民众生百草同心正大天海"
_PRODUCER_SUFFIX = ("制药", "药业", "医药", "生物制药", "药厂", "制药集团")
_PHRASES = (
    "本病多见于中青年人群",
    "起病可急可缓",
    "早期症状常不典型",
    "劳累和受凉可诱发",
    "与遗传因素有一定关系",
    "病程长短因人而异",
    "规范治疗后多数可以好转",
    "需要定期复查",
    "注意休息和饮食清淡",
    "避免熬夜和过度劳累",
    "与免疫功能下降有关",
    "部分患者可反复发作",
    "感染是常见诱因",
    "长期不良生活习惯可增加风险",
    "应在医生指导下用药",
    "适当锻炼可增强体质",
    "戒烟限酒有助于预防",
    "保持良好心态",
    "及早就医可减少并发症",
    "局部可出现红肿疼痛",
    "严重时影响日常生活",
    "老年人和儿童更易受累",
    "季节变化时多发",
    "保持环境清洁通风",
)
_CURE_WAYS = (
    "药物治疗",
    "手术治疗",
    "支持性治疗",
    "康复治疗",
    "物理治疗",
    "中医治疗",
    "心理治疗",
    "饮食调理",
)


@dataclass
class SynthStats:
    """What :func:`write_file` produced."""

    diseases: int
    seconds: float = 0.0


def _unique(
    count: int, make: Callable[[random.Random], str], rng: random.Random, taken: Set[str] | None = None
) -> List[str]:
    """``count`` distinct names from ``make`` (distinct also after :func:`normalise_name`)."""
    keys = {normalise_name(n) for n in (taken or ())}
    out: List[str] = []
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > count * 50 + 1000:
            raise RuntimeError(f"name space too small for {count} unique names")
        name = make(rng)
        key = normalise_name(name)
        if key not in keys:
            keys.add(key)
            out.append(name)
    return out


def _pick(rng: random.Random, chars: str, k: int) -> str:
    return "".join(rng.choice(chars) for _ in range(k))


def _disease_name(rng: random.Random) -> str:
    return _pick(rng, _ORGANS, rng.randint(1, 2)) + _pick(rng, _MODIFIERS, 2) + rng.choice(_DISEASE_SUFFIX)


def _symptom_name(rng: random.Random) -> str:
    return (
        _pick(rng, _ORGANS, rng.randint(1, 2))
        + _pick(rng, _FEELINGS, rng.randint(1, 2))
        + rng.choice(_SYMPTOM_SUFFIX)
    )


def _drug_name(rng: random.Random) -> str:
    return _pick(rng, _DRUG_STEMS, rng.randint(2, 4)) + rng.choice(_DRUG_FORMS)


def _food_name(rng: random.Random) -> str:
    return _pick(rng, _FOOD_STEMS, rng.randint(2, 3)) + rng.choice(_FOOD_DISHES)


def _check_name(rng: random.Random) -> str:
    return _pick(rng, _ORGANS, rng.randint(1, 3)) + rng.choice(_CHECK_WORDS)


def _producer_name(rng: random.Random) -> str:
    return _pick(rng, _PLACES, 1) + _pick(rng, _BRAND, rng.randint(2, 3)) + rng.choice(_PRODUCER_SUFFIX)


def _text(rng: random.Random, chars: int) -> str:
    """Sentences from the phrase bank, at most ``chars`` characters (at least one phrase's worth)."""
    if chars <= 0:
        return ""
    parts: List[str] = []
    while sum(len(p) + 1 for p in parts) < chars:
        parts.append(rng.choice(_PHRASES))
    return ("，".join(parts) + "。")[:chars]


NAME_FILES = {
    "disease": "disease.txt",
    "symptom": "symptom.txt",
    "drug": "drug.txt",
    "food": "food.txt",
    "check": "check.txt",
    "department": "department.txt",
}


@dataclass
class NameLists:
    """Real entity names per kind (one file per kind, one name per line)."""

    disease: List[str]
    symptom: List[str]
    drug: List[str]
    food: List[str]
    check: List[str]
    department: List[str]

    @classmethod
    def read(cls, directory: str | Path) -> NameLists:
        """The names of ``directory``: stripped, blank lines and repeats dropped, order kept."""
        directory = Path(directory)
        lists: Dict[str, List[str]] = {}
        for kind, filename in NAME_FILES.items():
            path = directory / filename
            if not path.is_file():
                raise FileNotFoundError(f"name list not found: {path}")
            seen: Dict[str, None] = {}
            for line in path.read_text(encoding="utf-8-sig").splitlines():
                name = line.strip()
                if name:
                    seen.setdefault(name, None)
            if not seen and kind in ("disease", "symptom"):
                raise ValueError(f"no names in {path}")
            lists[kind] = list(seen)
        return cls(**lists)


def overlap_names(names: NameLists, aliases: AbstractSet[str] = frozenset()) -> Set[str]:
    """Disease names that collide with something: also a symptom, a symptom at their start
    (糖尿 in 糖尿病), or another record's alias. A smaller graph keeps them all."""
    symptoms = set(names.symptom)
    out = {d for d in names.disease if d in symptoms or d in aliases}
    for disease in names.disease:
        if any(disease[:k] in symptoms for k in range(2, len(disease))):
            out.add(disease)
    return out


class Generator:
    """Builds the node pools once, then yields one record per disease.

    ``names`` replaces the made-up pools by real names (``diseases`` of them, every
    :func:`overlap_names` one first); ``exclude`` are disease names that other records
    (the sample graph) already have, and ``aliases`` their aliases.
    """

    def __init__(
        self,
        diseases: Optional[int] = 8800,
        seed: int = 0,
        text_chars: int = 120,
        names: Optional[NameLists] = None,
        exclude: Iterable[str] = (),
        aliases: AbstractSet[str] = frozenset(),
    ) -> None:
        if diseases is not None and diseases < 1:
            raise ValueError("need at least one disease")
        self.rng = random.Random(seed)
        self.text_chars = text_chars
        self._next_producer = 0
        if names is None:
            if diseases is None:
                raise ValueError("give the number of diseases (or real names)")
            self.diseases = _unique(diseases, _disease_name, self.rng, taken=set(exclude))
            pool = {label: max(12, round(diseases * share)) for label, share in POOL_PER_DISEASE.items()}
            self.symptoms = _unique(pool["symptom"], _symptom_name, self.rng)
            self.drugs = _unique(pool["drug"], _drug_name, self.rng)
            self.foods = _unique(pool["food"], _food_name, self.rng)
            self.checks = _unique(pool["check"], _check_name, self.rng)
            self.departments = [(p, c) for p, children in DEPARTMENTS.items() for c in children]
        else:
            self.diseases = self._choose_diseases(names, diseases, set(exclude), aliases)
            self.symptoms, self.drugs = names.symptom, names.drug or self._made(_drug_name, 12)
            self.foods = names.food or self._made(_food_name, 12)
            self.checks = names.check or self._made(_check_name, 12)
            flat = names.department or [c for children in DEPARTMENTS.values() for c in children]
            self.departments = [(d, d) for d in flat]
        producers = max(12, round(len(self.diseases) * POOL_PER_DISEASE["producer"]))
        self.producers = _unique(producers, _producer_name, self.rng)

    def _made(self, make: Callable[[random.Random], str], count: int) -> List[str]:
        return _unique(count, make, self.rng)

    def _choose_diseases(
        self, names: NameLists, count: Optional[int], exclude: Set[str], aliases: AbstractSet[str]
    ) -> List[str]:
        """The real disease names to generate: the overlapping ones first, then a seeded draw."""
        available = [d for d in names.disease if d not in exclude]
        if count is None or count >= len(available):
            return available
        overlaps = overlap_names(names, aliases)
        first = [d for d in available if d in overlaps]
        rest = [d for d in available if d not in overlaps]
        self.rng.shuffle(rest)
        return (first + rest)[:count] if len(first) < count else first[:count]

    def _sample(self, pool: Sequence[str], field: str, exclude: AbstractSet[str] = frozenset()) -> List[str]:
        low, high = LIST_LENGTHS[field]
        k = min(self.rng.randint(low, high), len(pool) - len(exclude))
        picked: List[str] = []
        while len(picked) < k:
            item = self.rng.choice(pool)
            if item not in exclude and item not in picked:
                picked.append(item)
        return picked

    def _producer(self) -> str:
        # Cycle through the pool so nearly every producer makes one drug, as in the crawl.
        name = self.producers[self._next_producer % len(self.producers)]
        self._next_producer += 1
        return name

    def record(self, index: int) -> dict:
        rng, name = self.rng, self.diseases[index]
        parent, child = rng.choice(self.departments)
        departments = [parent, child] if rng.random() < 0.9 and child != parent else [parent]
        do_eat = self._sample(self.foods, "do_eat")
        not_eat = self._sample(self.foods, "not_eat", exclude=set(do_eat))
        common = self._sample(self.drugs, "common_drug")
        recommended = self._sample(self.drugs, "recommand_drug")
        detail_drugs = (common + recommended)[: rng.randint(*LIST_LENGTHS["drug_detail"])]
        short = max(self.text_chars * 2 // 3, 0)
        return {
            "name": name,
            "alias": [rng.choice(("原发性", "特发性", "获得性")) + name] if rng.random() < 0.3 else [],
            "desc": _text(rng, self.text_chars),
            "cause": _text(rng, short),
            "prevent": _text(rng, short),
            "symptom": self._sample(self.symptoms, "symptom"),
            "acompany": self._sample(self.diseases, "acompany", exclude={name}),
            "cure_department": departments,
            "cure_way": rng.sample(_CURE_WAYS, rng.randint(1, 3)),
            "cure_lasttime": f"{rng.randint(1, 12)}{rng.choice(('周', '个月'))}",
            "cured_prob": f"{rng.randint(30, 99)}%",
            "easy_get": rng.choice(("无特定人群", "老年人", "儿童", "中青年", "女性", "男性")),
            "get_prob": f"{rng.randint(1, 50) / 100:.2f}%",
            "get_way": rng.choice(("无传染性", "飞沫传播", "接触传播", "血液传播")),
            "cost_money": f"约（{rng.randint(1, 50) * 100}-{rng.randint(51, 200) * 100}元）",
            "category": ["疾病百科", *departments],
            "common_drug": common,
            "recommand_drug": recommended,
            "drug_detail": [f"{self._producer()}{drug}({drug})" for drug in detail_drugs],
            "check": self._sample(self.checks, "check"),
            "do_eat": do_eat,
            "not_eat": not_eat,
            "recommand_eat": self._sample(self.foods, "recommand_eat"),
        }

    def records(self) -> Iterator[dict]:
        for index in range(len(self.diseases)):
            yield self.record(index)


def write_file(
    path: str | Path,
    diseases: Optional[int] = 8800,
    seed: int = 0,
    text_chars: int = 120,
    progress: bool = True,
    names: Optional[NameLists] = None,
    base: Sequence[Path] = (),
) -> SynthStats:
    """Write synthetic records as JSON lines to ``path``: the records of the ``base`` files
    first, as they are (the sample graph), then ``diseases`` generated ones (with ``names``:
    one per real disease name that no base record has, or ``diseases`` of them)."""
    import time

    from kg_queries import records
    from kg_queries.writing import progress_bar

    started = time.perf_counter()
    base_records = [r for p in base for _, r in records.iter_records(Path(p)) if isinstance(r, dict)]
    taken = {str(r.get("name")) for r in base_records}
    aliases = {str(a) for r in base_records for a in (r.get("alias") or [])}
    generator = Generator(
        diseases, seed=seed, text_chars=text_chars, names=names, exclude=taken, aliases=aliases
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    total = len(base_records) + len(generator.diseases)
    with (
        open(path, "w", encoding="utf-8") as handle,
        progress_bar(total, "synthesising diseases", progress) as bar,
    ):
        for record in [*base_records, *generator.records()]:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            bar.update(1)
    return SynthStats(total, time.perf_counter() - started)
