"""Key resolution: env → key file → demo key only for synthetic input (pure: the stage reads the files)."""

from __future__ import annotations

import logging

import pytest

from kogadx.privacy.keys import DEMO_KEY, ENV_VAR, KeyMaterial, KeyRefusedError, is_synthetic_demo, resolve_key

HEX_KEY = "ab" * 32
KEY_FILE = "secure/pseudonym.key"


def test_env_key_wins_over_file():
    material = KeyMaterial(env=HEX_KEY, file=("cd" * 32).encode(), file_path=KEY_FILE)
    key = resolve_key(material, synthetic=False, input_name="in")
    assert key.key == bytes.fromhex(HEX_KEY) and key.source == "env"
    assert HEX_KEY not in repr(key) and HEX_KEY not in repr(material) and "cd" * 32 not in repr(material)


def test_key_file_used_without_env():
    key = resolve_key(KeyMaterial(file=("cd" * 32 + "\n").encode(), file_path=KEY_FILE), False, "in")
    assert key.key == bytes.fromhex("cd" * 32) and key.source == "file"


def test_synthetic_marker():
    assert not is_synthetic_demo({})
    assert not is_synthetic_demo({"SYNTHETIC_DEMO.json": None, "SYNTHETIC_DEMO": None})
    assert not is_synthetic_demo({"SYNTHETIC_DEMO.json": b'{"synthetic": false}'})
    assert not is_synthetic_demo({"SYNTHETIC_DEMO.json": b"not json"})
    assert not is_synthetic_demo({"SYNTHETIC_DEMO.json": b'{"synthetic": false}', "SYNTHETIC_DEMO": b"x"})  # JSON first
    assert is_synthetic_demo({"SYNTHETIC_DEMO.json": b'{"synthetic": true, "seed": 1}'})
    assert is_synthetic_demo({"SYNTHETIC_DEMO": b""})


def test_demo_key_only_for_synthetic_input(caplog):
    with pytest.raises(KeyRefusedError, match="SYNTHETIC_DEMO") as refused:
        resolve_key(KeyMaterial(file_path=KEY_FILE), synthetic=False, input_name="data/raw_validated")
    assert KEY_FILE in str(refused.value) and "data/raw_validated" in str(refused.value)
    with caplog.at_level(logging.WARNING, logger="kogadx.privacy"):
        key = resolve_key(KeyMaterial(file_path=KEY_FILE), synthetic=True, input_name="in")
    assert key.is_demo and key.key == DEMO_KEY
    assert "デモ用" in caplog.text


def test_demo_key_given_explicitly_is_refused_on_real_data():
    with pytest.raises(KeyRefusedError, match="デモ用キー"):
        resolve_key(KeyMaterial(env=DEMO_KEY.hex()), synthetic=False, input_name="in")
    with pytest.raises(KeyRefusedError, match="デモ用キー"):
        resolve_key(KeyMaterial(file=DEMO_KEY), synthetic=False, input_name="in")


def test_short_key_refused():
    with pytest.raises(KeyRefusedError, match=f"環境変数 {ENV_VAR}: 仮名化キーが短すぎます"):
        resolve_key(KeyMaterial(env="abcd"), synthetic=False, input_name="in")
    with pytest.raises(KeyRefusedError, match="pseudonym.key: 仮名化キーが短すぎます"):
        resolve_key(KeyMaterial(file=b"abcd", file_path=KEY_FILE), synthetic=True, input_name="in")
