"""Key resolution: env → key file → demo key only for synthetic input."""

from __future__ import annotations

import logging

import pytest

from kogadx.privacy.keys import DEMO_KEY, ENV_VAR, KeyRefusedError, resolve_key

HEX_KEY = "ab" * 32


@pytest.fixture()
def dirs(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "secure").mkdir()
    return tmp_path / "in", tmp_path / "secure"


def test_env_key_wins_over_file(dirs):
    in_dir, secure = dirs
    (secure / "pseudonym.key").write_text("cd" * 32)
    key = resolve_key(in_dir, secure, environ={ENV_VAR: HEX_KEY})
    assert key.key == bytes.fromhex(HEX_KEY) and key.source == "env"
    assert HEX_KEY not in repr(key)


def test_key_file_used_without_env(dirs):
    in_dir, secure = dirs
    (secure / "pseudonym.key").write_text("cd" * 32 + "\n")
    key = resolve_key(in_dir, secure, environ={})
    assert key.key == bytes.fromhex("cd" * 32) and key.source == "file"


def test_demo_key_only_for_synthetic_input(dirs, caplog):
    in_dir, secure = dirs
    with pytest.raises(KeyRefusedError, match="SYNTHETIC_DEMO"):
        resolve_key(in_dir, secure, environ={})
    (in_dir / "SYNTHETIC_DEMO.json").write_text('{"synthetic": false}', encoding="utf-8")
    with pytest.raises(KeyRefusedError):
        resolve_key(in_dir, secure, environ={})
    (in_dir / "SYNTHETIC_DEMO.json").write_text('{"synthetic": true, "seed": 1}', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kogadx.privacy"):
        key = resolve_key(in_dir, secure, environ={})
    assert key.is_demo and key.key == DEMO_KEY
    assert "デモ用" in caplog.text


def test_demo_key_given_explicitly_is_refused_on_real_data(dirs):
    in_dir, secure = dirs
    with pytest.raises(KeyRefusedError, match="デモ用キー"):
        resolve_key(in_dir, secure, environ={ENV_VAR: DEMO_KEY.hex()})


def test_short_key_refused(dirs):
    in_dir, secure = dirs
    with pytest.raises(KeyRefusedError, match="短すぎ"):
        resolve_key(in_dir, secure, environ={ENV_VAR: "abcd"})
