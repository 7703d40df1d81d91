"""Identity helpers: GB 11643 ID numbers, mobile numbers, Chinese names."""
from __future__ import annotations

import datetime as dt
import random

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

# Surnames and given-name characters, all in GBK.
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"
             "潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙")
_GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永宁"
          "慧颖佳欣宇浩然晨阳梓涵子轩雨彤一诺思远嘉怡俊凯博睿雅琪晓东海燕春梅志鹏新宏云飞")
_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                   "151", "152", "155", "157", "158", "159", "166", "173", "176", "177",
                   "180", "181", "182", "183", "186", "187", "188", "189", "191", "199")


def check_digit(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_id(value: str) -> bool:
    """True for an 18-character ID whose check character matches."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    return value[17].upper() == check_digit(value[:17])


def wrong_check(value: str) -> str:
    """The same ID with a check character that does not match (a typo)."""
    good = check_digit(value[:17])
    return value[:17] + next(c for c in "0123456789X" if c != good)


def make_id(rng: random.Random, area: str, taken: set[str]) -> str:
    """A valid, unused 18-character ID for someone aged roughly 18-62 in 2022."""
    while True:
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 44 * 365))
        body = f"{area}{birth:%Y%m%d}{rng.randrange(1, 1000):03d}"
        value = body + check_digit(body)
        if value not in taken:
            taken.add(value)
            return value


def make_phone(rng: random.Random) -> str:
    """An 11-digit mainland mobile number, 1[3-9]xxxxxxxxx."""
    return rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"


def make_name(rng: random.Random) -> str:
    """A two- or three-character Chinese name."""
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(_SURNAMES) + given
