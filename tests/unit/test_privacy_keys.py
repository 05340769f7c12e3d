"""Key resolution: env → key file → demo key only for proven synthetic input (pure: the stage reads
the files); weak keys refused; the demo marker must match every raw file's hash (finding 2)."""

from __future__ import annotations

import base64
import hashlib
import json
import logging

import pytest

from kogadx.privacy.keys import (
    DEMO_KEY,
    ENV_VAR,
    DemoCheck,
    KeyMaterial,
    KeyRefusedError,
    check_synthetic_demo,
    resolve_key,
)
from tests.helpers import OTHER_TEST_KEY_HEX, TEST_KEY_HEX

KEY_FILE = "secure/pseudonym.key"
RAW = {"residents.csv": b"a,b\r\n1,2\r\n", "rides/members.csv": b"m\r\n", "towns/koga.shp": b"\x00shp",
       "towns/koga.dbf": b"\x03dbf"}


def _marker(files=RAW, **extra) -> bytes:
    hashes = {p: hashlib.sha256(d).hexdigest() for p, d in files.items() if not p.startswith("towns/")}
    return json.dumps({"synthetic": True, "files_sha256": hashes, "public_shapefiles": ["towns/koga"], **extra},
                      sort_keys=True).encode()


def _folder(marker: bytes, **changes: bytes) -> dict[str, bytes]:
    return {**RAW, **changes, "SYNTHETIC_DEMO.json": marker}


def test_env_key_wins_over_file():
    material = KeyMaterial(env=TEST_KEY_HEX, file=OTHER_TEST_KEY_HEX.encode(), file_path=KEY_FILE)
    key = resolve_key(material, synthetic=False, input_name="in")
    assert key.key == bytes.fromhex(TEST_KEY_HEX) and key.source == "env"
    assert TEST_KEY_HEX not in repr(key) and TEST_KEY_HEX not in repr(material)
    assert OTHER_TEST_KEY_HEX not in repr(material)


def test_key_file_used_without_env():
    key = resolve_key(KeyMaterial(file=(OTHER_TEST_KEY_HEX + "\n").encode(), file_path=KEY_FILE), False, "in")
    assert key.key == bytes.fromhex(OTHER_TEST_KEY_HEX) and key.source == "file"


def test_base64_keys_accepted():
    raw = bytes.fromhex(TEST_KEY_HEX)
    for text in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")):
        assert resolve_key(KeyMaterial(env=text), False, "in").key == raw


@pytest.mark.parametrize("weak", [
    "z" * 64,                                  # one repeated character (finding 2)
    "0" * 64,                                  # all-zero hex (finding 2)
    "5a" * 32,                                 # a two-character pattern
    "0123456789abcdef" * 4,                    # a short repeating pattern
    "Koga-City-DX-password-2024-secret!!",     # a 36-character password (finding 2)
    "KogaCityDXpassword2024secretKeyABCD",     # a 35-character base64-looking password: too short
    "correcthorsebatterystaplecorrecthorsebattery",  # lower-case words
    "CorrectHorseBatteryStapleCorrectHorseBattery",  # a passphrase: too few distinct characters
    TEST_KEY_HEX[:62],                          # 31 bytes
])
def test_weak_keys_refused_without_showing_them(weak):
    for material, origin in ((KeyMaterial(env=weak), f"環境変数 {ENV_VAR}"),
                             (KeyMaterial(file=weak.encode(), file_path=KEY_FILE), KEY_FILE)):
        with pytest.raises(KeyRefusedError, match=origin) as refused:
            resolve_key(material, synthetic=False, input_name="in")
        assert weak not in str(refused.value) and weak[:12] not in str(refused.value)
        assert "README" in str(refused.value)


def test_raw_binary_key_file_refused():
    with pytest.raises(KeyRefusedError, match="16進"):
        resolve_key(KeyMaterial(file=bytes(range(200, 240)), file_path=KEY_FILE), False, "in")


def test_marker_with_matching_files_qualifies():
    marker = _marker()
    assert check_synthetic_demo(marker, _folder(marker)) == DemoCheck(True)
    assert not check_synthetic_demo(None, _folder(marker)).synthetic


@pytest.mark.parametrize(("folder", "says"), [
    ({"residents.csv": b"real,data\r\n"}, "内容が違うファイル 1 件 (residents.csv)"),   # copied marker, real data
    ({"rides/new_export.csv": b"x"}, "記録にないファイル 1 件 (rides/new_export.csv)"),
    ({"towns/other.shp": b"x"}, "記録にないファイル"),
])
def test_copied_marker_next_to_other_data_does_not_qualify(folder, says):
    marker = _marker()
    check = check_synthetic_demo(marker, _folder(marker, **folder))
    assert not check.synthetic and says in check.reason


def test_missing_file_bare_marker_old_marker_and_mismatched_copy():
    marker = _marker()
    without = {k: v for k, v in _folder(marker).items() if k != "rides/members.csv"}
    assert "ないファイル 1 件" in check_synthetic_demo(marker, without).reason
    assert not check_synthetic_demo(b'{"synthetic": true}', {"SYNTHETIC_DEMO.json": b'{"synthetic": true}'}).synthetic
    assert not check_synthetic_demo(b"not json", _folder(b"not json")).synthetic
    assert not check_synthetic_demo(_marker(synthetic=False), _folder(_marker(synthetic=False))).synthetic
    other = _marker(seed=2)  # the input's marker is not the raw folder's
    assert "一致しません" in check_synthetic_demo(other, _folder(marker)).reason
    assert "渡されていない" in check_synthetic_demo(marker, None).reason


def test_demo_key_refused_for_a_copied_marker_with_guidance():
    marker = _marker()
    check = check_synthetic_demo(marker, _folder(marker, **{"residents.csv": b"real"}))
    with pytest.raises(KeyRefusedError, match="residents.csv") as refused:
        resolve_key(KeyMaterial(file_path=KEY_FILE), check, "data/raw_validated")
    message = str(refused.value)
    assert ENV_VAR in message and "README" in message and "デモ用キーでの処理を拒否" in message


def test_demo_key_only_for_synthetic_input(caplog):
    with pytest.raises(KeyRefusedError, match="SYNTHETIC_DEMO") as refused:
        resolve_key(KeyMaterial(file_path=KEY_FILE), synthetic=False, input_name="data/raw_validated")
    assert KEY_FILE in str(refused.value) and "data/raw_validated" in str(refused.value)
    with caplog.at_level(logging.WARNING, logger="kogadx.privacy"):
        key = resolve_key(KeyMaterial(file_path=KEY_FILE), synthetic=DemoCheck(True), input_name="in")
    assert key.is_demo and key.key == DEMO_KEY
    assert "デモ用" in caplog.text


def test_demo_key_given_explicitly_is_refused_on_real_data():
    for material in (KeyMaterial(env=DEMO_KEY.hex()), KeyMaterial(file=DEMO_KEY),
                     KeyMaterial(env=base64.b64encode(DEMO_KEY).decode())):
        with pytest.raises(KeyRefusedError, match="デモ用キー") as refused:
            resolve_key(material, synthetic=False, input_name="in")
        assert DEMO_KEY.decode() not in str(refused.value) and DEMO_KEY.hex() not in str(refused.value)
    assert resolve_key(KeyMaterial(file=DEMO_KEY), DemoCheck(True), "in").is_demo


def test_short_key_refused():
    with pytest.raises(KeyRefusedError, match=f"環境変数 {ENV_VAR}: 仮名化キーが短すぎます"):
        resolve_key(KeyMaterial(env="abcd"), synthetic=False, input_name="in")
    with pytest.raises(KeyRefusedError, match="pseudonym.key: 仮名化キーが短すぎます"):
        resolve_key(KeyMaterial(file=b"abcd", file_path=KEY_FILE), synthetic=True, input_name="in")
