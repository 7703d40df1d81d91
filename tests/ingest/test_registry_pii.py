import pytest

from ingest.rows import pii
from ingest import registry


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
    ("11010519491231002X", True), ("110105194912310021", False), ("11010519491231002", False),
    ("11010519491231002x", False),  # callers normalise case first
])
def test_id_check_digit(number, ok):
    assert pii.id_is_valid(number) is ok


def test_keyed_hash_and_masks():
    a = pii.volunteer_key("11010519491231002x", b"k1")
    assert a == pii.volunteer_key("11010519491231002X", b"k1") != pii.volunteer_key("11010519491231002X", b"k2")
    assert len(a) == 64 and "11010519491231002X" not in a
    assert pii.mask_name("张三丰") == "张**" and pii.mask_name("李") == "李*"
    assert pii.mask_phone("13812345678") == "138****5678"


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
