import hashlib
import hmac

import pytest

from ingest.rows import pii
from ingest import registry
from ingest.rows.column_sql import ColumnRules


@pytest.mark.parametrize("city, label, code", [
    ("格尔木市", "格尔木市发展和改革委员会", "golmud_fgw"), ("格尔木市", "市发改委", "golmud_fgw"),
    ("格尔木市", "发改委", "golmud_fgw"), ("格尔木市", "市城市管理综合执法局", "golmud_cgj"),
    ("寿光市", "寿光市城市管理局", "shouguang_cgj"), ("寿光市", "市市场监督管理局", "shouguang_scjg"),
    ("毕节市", "团市委", "bijie_tsw"), ("射洪市", "市文明办", "shehong_wmb"),
    ("射洪市", " 市 文明办 ", "shehong_wmb"), ("格尔木市", "市天文局", None), ("寿光市", "发改", None),
])
def test_department_aliases(city, label, code):
    assert registry.load().department(city, label) == code


def test_unknown_department_suggests_close_names():
    assert "格尔木市交通运输局" in registry.load().suggest("格尔木市", "市交通局运输")


@pytest.mark.parametrize("number, ok", [
    ("11010519491231002X", True), ("11010519491231002x", True), ("110105194912310021", False),
    ("11010519491231002", False), ("1101051949123100201", False), ("1101051949123100 2X", True),
    ("11010519491231002Y", False), ("1.10105194912310E+17", None), ("'11010519491231002X", True),
    ('="11010519491231002X"', True), ("440524188001010014", True), ("44052418800101001X", False),
])
def test_id_check_character_in_sql(number, ok):
    """GB 11643: the 18th character is the ISO 7064 MOD 11-2 check of the first 17 (None: the
    cell shows a number Excel rounded, not an ID)."""
    (value, error), = ColumnRules(b"k" * 34).outcomes("id_number", [number], [False])
    assert {None: "id_not_text", True: None, False: "bad_id_number"}[ok] == error
    assert (value is not None) is (ok is True)


def test_keyed_hash_in_sql_is_hmac_sha256():
    """The SQL keyed hash equals HMAC-SHA256 (RFC 2104) of the upper-cased number, for keys shorter
    and longer than the hash's 64-byte block."""
    for key in (b"k1", b"0123456789abcdef" * 2 + b"!!", b"long key " * 10):
        got = ColumnRules(key).outcomes("id_number", ["11010519491231002x", "11010519491231002X"], [False, False])
        want = hmac.new(key, b"11010519491231002X", hashlib.sha256).hexdigest()
        assert [v for v, _ in got] == [want, want]
    a = ColumnRules(b"k1").outcomes("id_number", ["11010519491231002X"], [False])
    b = ColumnRules(b"k2").outcomes("id_number", ["11010519491231002X"], [False])
    assert a != b and "11010519491231002X" not in a[0][0]


def test_masks_in_sql():
    sql = ColumnRules(b"k")
    assert sql.outcomes("person_name", ["张三丰", "李", "AB C"], [True, True, False]) == \
        [("张**", None), ("李*", None), ("A**", None)]
    assert sql.outcomes("phone", ["13812345678", "+86 138-1234-5678", "1381234", "12812345678"], [False] * 4) == \
        [("138****5678", None), ("138****5678", None), (None, "bad_phone"), (None, "bad_phone")]
    assert pii.mask_name("张三丰") == "张**" and pii.mask_phone("13812345678") == "138****5678"


def test_hash_key_required_outside_demo(monkeypatch):
    from ingest import config
    from ingest.errors import ConfigError
    monkeypatch.delenv("CAMPAIGN_HASH_KEY", raising=False)
    monkeypatch.delenv("CAMPAIGN_DEMO", raising=False)
    with pytest.raises(ConfigError):
        config.hash_key()
    monkeypatch.setenv("CAMPAIGN_DEMO", "1")
    assert config.hash_key() == config.DEMO_HASH_KEY.encode()


@pytest.mark.parametrize("key", ["k7!", "test-key", "x" * 31, "密钥" * 5])   # "密钥" * 5 = 30 bytes
def test_a_hash_key_under_32_bytes_is_refused_outside_demo(monkeypatch, key):
    from ingest import config
    from ingest.errors import ConfigError
    monkeypatch.setenv("CAMPAIGN_HASH_KEY", key)
    monkeypatch.delenv("CAMPAIGN_DEMO", raising=False)
    with pytest.raises(ConfigError, match=f"is {len(key.encode())} bytes long: a key of at least 32 bytes") as err:
        config.hash_key()
    assert "secrets.token_hex(32)" in str(err.value) and key not in str(err.value)
    monkeypatch.setenv("CAMPAIGN_DEMO", "1")          # demo data: any key
    assert config.hash_key() == key.encode()
    monkeypatch.delenv("CAMPAIGN_DEMO")
    monkeypatch.setenv("CAMPAIGN_HASH_KEY", "x" * 32)
    assert config.hash_key() == b"x" * 32
