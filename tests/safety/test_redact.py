"""safety.redact: each kind of identifying text is masked, ordinary medical text is not, in linear time.

Why: the masks decide what patient data the unanswered-question log keeps, and a rule
that also eats "每天2次" or "我是糖尿病患者" makes the log useless; both directions are
pinned here, plus the worst texts a 1000-character message can be.
"""

import time

import pytest

from safety.redact import EMAIL, ID_CARD, NAME, NUMBER, PHONE, redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的手机13812345678", f"我的手机{PHONE}"),
        ("电话 138 1234 5678 谢谢", f"电话 {PHONE} 谢谢"),
        ("138-1234-5678", PHONE),
        ("+86 13812345678", PHONE),
        ("+86-138-1234-5678", PHONE),
        ("8619912345678", PHONE),
        ("１３８１２３４５６７８", PHONE),  # full-width digits
        ("１３８－１２３４－５６７８，回电", f"{PHONE}，回电"),
        ("13812345678,13912345678", f"{PHONE},{PHONE}"),
        ("座机010-62345678", f"座机{PHONE}"),
        ("0571 8888 8888", PHONE),
        ("(010)62345678", PHONE),
        ("（０１０）６２３４５６７８", PHONE),
        ("010-62345678转123找我", f"{PHONE}找我"),
        ("0755-2345678-8001", PHONE),
    ],
)
def test_phone_numbers_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("身份证110101199003071234", f"身份证{ID_CARD}"),
        ("11010119900307123X。", f"{ID_CARD}。"),
        ("11010119900307123x", ID_CARD),
        ("130102 19900307 1234", ID_CARD),  # starts like a mobile number
        ("旧身份证110101900307123", f"旧身份证{ID_CARD}"),
        ("１１０１０１１９９００３０７１２３４", ID_CARD),
    ],
)
def test_identity_card_numbers_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("邮箱 zhang.san@163.com。", f"邮箱 {EMAIL}。"),
        ("发到Li_Si+1@hospital.edu.cn吧", f"发到{EMAIL}吧"),
        ("ｚｓ＠ｑｑ．ｃｏｍ", EMAIL),
    ],
)
def test_email_addresses_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我叫张三，头疼", f"我叫{NAME}，头疼"),
        ("我叫 王小明", f"我叫 {NAME}"),
        ("本人叫李四", f"本人叫{NAME}"),
        ("我的名字是欧阳娜娜。", f"我的名字是{NAME}。"),
        ("名字叫赵六", f"名字叫{NAME}"),
        ("姓名：钱七", f"姓名：{NAME}"),
        ("我是李四", f"我是{NAME}"),
        ("我是王小明，想问一下", f"我是{NAME}，想问一下"),
        ("我是张三的妈妈", f"我是{NAME}的妈妈"),
        ("我是欧阳娜娜", f"我是{NAME}"),
        ("我姓王", f"我姓{NAME}"),
        ("本人姓诸葛", f"本人姓{NAME}"),
    ],
)
def test_self_introduced_names_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("住院号：A12345，怎么查", f"住院号：{NUMBER}，怎么查"),
        ("门诊号是2024001", f"门诊号是{NUMBER}"),
        ("病历号 MR-0099", f"病历号 {NUMBER}"),
        ("就诊卡号123456", f"就诊卡号{NUMBER}"),
        ("银行卡6222021234567890123", f"银行卡{NUMBER}"),
    ],
)
def test_hospital_numbers_and_long_digit_runs_are_masked(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我是糖尿病患者",
        "我是患者",
        "我是病人",
        "我是糖尿病",
        "我是第一次来",
        "我是高血压",
        "我是高中生",
        "我是白癜风",
        "我是孕妇",
        "我是家属",
        "姓王的医生说的",
        "住院号是多少",
        "住院号在哪看",
        "每天2次，每次10mg",
        "2024年3月体检",
        "138",
        "血压138/90",
        "身高175体重70",
        "12345678901",
        "10012345678",
        "1381234567",
        "抑郁症怎么治疗",
        "感冒有什么症状",
        '看病能报销吗, "医保"',
        "邮箱怎么写@",
        "a@b",
        "010",
        "",
        "   ",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


@pytest.mark.parametrize("text", ["19912345678901", "1101011990030712345", "138123456789"])
def test_longer_digit_runs_are_no_phone_or_id_card_but_still_masked(text):
    assert redact(text) == NUMBER


def test_everything_else_is_kept_exactly():
    text = "我叫张三，ＡＢＣ全角，手机13812345678。\ud800怎么办"
    assert redact(text) == f"我叫{NAME}，ＡＢＣ全角，手机{PHONE}。\ud800怎么办"


def test_several_kinds_in_one_message():
    text = "我叫张三，电话138-1234-5678，身份证110101199003071234，邮箱zs@qq.com，住院号Z998"
    assert redact(text) == f"我叫{NAME}，电话{PHONE}，身份证{ID_CARD}，邮箱{EMAIL}，住院号{NUMBER}"


def test_redacting_twice_changes_nothing_more():
    once = redact("我叫张三，我是李四，我姓王，住院号12，13812345678，zs@qq.com")
    assert redact(once) == once


ADVERSARIAL = {
    "digits": "1" * 1000,
    "mobile prefixes": "13" * 500,
    "grouped digits": "138 " * 250,
    "landline pieces": "0-" * 500,
    "我叫": "我叫" * 500,
    "我叫 and digits": ("我叫1381234567" * 100)[:1000],
    "我是": "我是" * 500,
    "我是李": ("我是李" * 334)[:1000],
    "我姓": "我姓" * 500,
    "e-mail pieces": "a@" * 500,
    "e-mail dots": "a." * 499 + "@b",
    "hospital numbers": ("住院号1" * 250),
    "everything": ("我叫张三13812345678 110101199003071234 a@b.cn 住院号A1 我是李四 " * 30)[:1000],
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_the_longest_messages_take_well_under_a_second(name):
    text = ADVERSARIAL[name]
    assert len(text) <= 1000
    start = time.perf_counter()
    redact(text)
    assert time.perf_counter() - start < 0.2
