"""Valid made-up identities: 统一社会信用代码 and resident ID numbers that pass their checksums,
and Chinese names. Pure; every value comes from the `random.Random` passed in, so a seed makes
them repeatable. The test factories use the same generators (tests/factories.py)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from market.accounts.model import CREDIT_CODE_ALPHABET, credit_code_check_character, resident_id_check_character

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红建文辉力国庆春梅鹏飞宇浩然欣怡子涵雨轩俊杰思远佳琪晓东海燕志明小龙德胜"


def credit_code(rng: random.Random, authority: str = "500103") -> str:
    """9 = 工商, 1 = 企业, a registration-authority (district) code, 9 random characters, check."""
    first17 = "91" + authority + "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(9))
    return first17 + credit_code_check_character(first17)


def resident_id(rng: random.Random, address: str = "500103", born: date | None = None) -> str:
    """An 18-digit number with a random birth date (1960–2003) unless given: a sequence number
    alone collides among a few thousand people."""
    born = born or date(1960, 1, 1) + timedelta(days=rng.randrange(16000))
    first17 = address + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return first17 + resident_id_check_character(first17)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def mobile(rng: random.Random) -> str:
    return rng.choice(("139", "138", "136", "150", "151", "177", "186", "189")) + f"{rng.randrange(10**8):08d}"
