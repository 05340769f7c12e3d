"""Where the pseudonymisation key comes from, and when the demo key is refused (pure: no I/O).

Order: environment variable ``KOGADX_PSEUDONYM_KEY`` → key file ``<secure_dir>/pseudonym.key``
→ the public demo key, allowed only for the synthetic demo: the input folder carries the marker
``SYNTHETIC_DEMO.json`` (written by the synthesize stage into data/raw, copied by ingest into
data/raw_validated) AND every file of the raw folder has the SHA-256 the generator recorded in
it (:func:`check_synthetic_demo`). A marker copied next to other data does not qualify; real
data with the demo key is refused. The stage (or the command line) reads the variable, the key
file, the markers and the raw folder and hands them over; this module only decides.

The key is 削除情報等: it lives in the secure zone (git- and shareable-remote-ignored).
A key is at least 32 random bytes written as 64+ hex digits (e.g.
``python -c "import secrets;print(secrets.token_hex(32))"``) or as base64 (44+ characters,
``secrets.token_urlsafe(32)`` style or standard). Obviously weak values (one repeated character,
a short repeated pattern, too few distinct bytes, a password, the demo key on real data) are
refused. No message ever shows the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from kogadx.errors import UserFacingError
from kogadx.privacy.pseudonym import key_fingerprint

ENV_VAR = "KOGADX_PSEUDONYM_KEY"
KEY_FILE_NAME = "pseudonym.key"
DEMO_MARKER = "SYNTHETIC_DEMO.json"
SYNTHETIC_MARKERS = (DEMO_MARKER,)  # a bare SYNTHETIC_DEMO file (unverifiable) is no longer accepted
# Public on purpose: anyone can recompute demo pseudonyms, so only synthetic data may use it.
DEMO_KEY = b"kogadx-DEMO-KEY--synthetic-Koga-only--NOT-A-SECRET"
MIN_KEY_BYTES = 32
# 32 random bytes hold ~30 distinct values (birthday bound); fewer than 16 is never chance.
MIN_DISTINCT_KEY_BYTES = 16
MIN_DISTINCT_BASE64_CHARS = 20
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
README_KEY_HINT = ("README の「実データで使う」の手順どおり、本物のキー (32 バイト以上の乱数、"
                   "例: python -c \"import secrets; print(secrets.token_hex(32))\") を"
                   f"環境変数 {ENV_VAR} か data/secure/{KEY_FILE_NAME} に設定してください")
_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_\-]+={0,2}")


class KeyRefusedError(UserFacingError, RuntimeError):
    """The key cannot be used for this input (demo key on real data, or a weak key)."""


@dataclass(frozen=True)
class PseudonymKey:
    """A resolved key. ``source`` is 'env', 'file' or 'demo'; repr never shows the key."""

    key: bytes
    source: str
    fingerprint: str

    @property
    def is_demo(self) -> bool:
        return self.source == "demo"

    def __repr__(self) -> str:
        return f"PseudonymKey(source={self.source!r}, fingerprint={self.fingerprint!r})"


@dataclass(frozen=True)
class KeyMaterial:
    """What a key can come from, as read by the stage: the value of ``KOGADX_PSEUDONYM_KEY``
    (None when unset), the bytes of the key file (None when there is none) and that file's
    path (for messages). The repr never shows a key."""

    env: str | None = field(default=None, repr=False)
    file: bytes | None = field(default=None, repr=False)
    file_path: str = f"data/secure/{KEY_FILE_NAME}"


@dataclass(frozen=True)
class DemoCheck:
    """Whether the input qualifies as the synthetic demo; ``reason`` says why a marker that is
    present does not (file names and counts only)."""

    synthetic: bool
    reason: str = ""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_synthetic_demo(
    marker: bytes | None, raw_files: Mapping[str, bytes] | None, raw_folder: str = "生データのフォルダ"
) -> DemoCheck:
    """Does the input qualify for the demo key?

    ``marker``: the bytes of ``SYNTHETIC_DEMO.json`` in the input folder (None = no marker);
    ``raw_files``: every file of the raw folder by its POSIX path in the folder (its own
    marker included), as read by the stage. Qualifies only when the input's marker is the raw
    folder's marker, says ``"synthetic": true``, and every raw file is one the generator
    recorded, with the recorded SHA-256 (parts of a shapefile the marker names as public
    geography are checked by name). Any extra, missing or changed file disqualifies.
    """
    if marker is None:
        return DemoCheck(False)
    try:
        content = json.loads(marker.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return DemoCheck(False, f"{DEMO_MARKER} を読めません")
    if not isinstance(content, dict) or content.get("synthetic") is not True:
        return DemoCheck(False, f"{DEMO_MARKER} が合成デモデータを示していません")
    recorded = content.get("files_sha256")
    if not isinstance(recorded, dict) or not recorded:
        return DemoCheck(False, f"{DEMO_MARKER} にファイルのハッシュがありません"
                                "(古い形式: dvc repro synthesize で作り直してください)")
    if raw_files is None:
        return DemoCheck(False, "生データのフォルダが渡されていないため、ハッシュを確かめられません")
    if raw_files.get(DEMO_MARKER) != marker:
        return DemoCheck(False, f"入力の {DEMO_MARKER} が{raw_folder}のものと一致しません")
    public = {str(p) for p in content.get("public_shapefiles") or []}
    changed = sorted(p for p, h in recorded.items() if p in raw_files and _sha256(raw_files[p]) != h)
    missing = sorted(p for p in recorded if p not in raw_files)
    extra = sorted(p for p in raw_files if p != DEMO_MARKER and p not in recorded
                   and not (PurePosixPath(p).suffix.lower() in SHAPEFILE_PARTS
                            and str(PurePosixPath(p).with_suffix("")) in public))
    problems = [f"{label} {len(names)} 件 ({', '.join(names[:5])}{' …' if len(names) > 5 else ''})"
                for label, names in (("内容が違うファイル", changed), ("ないファイル", missing),
                                     ("記録にないファイル", extra)) if names]
    if problems:
        return DemoCheck(False, f"{raw_folder}のファイルが合成データ生成時の記録と一致しません: " + "、".join(problems))
    return DemoCheck(True)


def _decode_key(text: str, origin: str) -> bytes:
    """Hex or base64 text → bytes; anything else (a password, raw bytes) is refused."""
    if _HEX.fullmatch(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    if _BASE64.fullmatch(text):
        if not (re.search("[A-Z]", text) and re.search("[a-z]", text)) or len(set(text)) < MIN_DISTINCT_BASE64_CHARS:
            # Random base64 of 32+ bytes has both cases (a miss: ~1e-10) and ~31 distinct characters
            # (< 20: ~1e-6); words and passphrases do not.
            raise KeyRefusedError(f"{origin}: 仮名化キーが弱すぎます (乱数の base64 に見えません)。{README_KEY_HINT}")
        padded = text + "=" * (-len(text) % 4)
        try:
            return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            pass
    raise KeyRefusedError(
        f"{origin}: 仮名化キーは 16進 ({2 * MIN_KEY_BYTES} 桁以上) か base64 の文字列で指定してください"
        f" (パスワードや文章は使えません)。{README_KEY_HINT}")


def _smallest_period(data: bytes) -> int:
    """The shortest p such that the bytes repeat with period p (len(data) when none)."""
    for period in range(1, len(data) // 2 + 1):
        if all(data[i] == data[i % period] for i in range(len(data))):
            return period
    return len(data)


def parse_key(text_or_bytes: str | bytes, origin: str) -> bytes:
    """Decode a key (hex or base64 text, surrounding whitespace ignored) and refuse weak ones;
    every message names ``origin`` and never the key."""
    raw = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    stripped = raw.strip()
    if stripped == DEMO_KEY:
        return DEMO_KEY  # the caller allows it for the synthetic demo only
    try:
        text = stripped.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    key = _decode_key(text, origin)
    if key == DEMO_KEY:
        return DEMO_KEY
    if len(key) < MIN_KEY_BYTES:
        raise KeyRefusedError(
            f"{origin}: 仮名化キーが短すぎます ({len(key)} バイト)。{MIN_KEY_BYTES} バイト以上"
            f"(16進 {2 * MIN_KEY_BYTES} 桁以上)の乱数を使ってください。{README_KEY_HINT}"
        )
    if len(set(key)) < MIN_DISTINCT_KEY_BYTES or _smallest_period(key) < len(key) // 2:
        raise KeyRefusedError(
            f"{origin}: 仮名化キーが弱すぎます (同じ文字や短い模様の繰り返しで、乱数ではありません)。"
            f"{README_KEY_HINT}")
    return key


def resolve_key(
    material: KeyMaterial,
    synthetic: bool | DemoCheck,
    input_name: str,
    logger: logging.Logger | None = None,
) -> PseudonymKey:
    """The key for pseudonymising the input named ``input_name``; refuse the demo key on real data.

    ``synthetic``: whether the input qualifies as the synthetic demo (:func:`check_synthetic_demo`;
    a bare bool is taken as already checked).
    """
    demo = synthetic if isinstance(synthetic, DemoCheck) else DemoCheck(synthetic)
    logger = logger or logging.getLogger("kogadx.privacy")
    key_file = material.file_path
    if material.env:
        key, source = parse_key(material.env, f"環境変数 {ENV_VAR}"), "env"
    elif material.file is not None:
        key, source = parse_key(material.file, key_file), "file"
    else:
        if not demo.synthetic:
            if demo.reason:
                raise KeyRefusedError(
                    f"仮名化キーがありません。入力 {input_name} には {DEMO_MARKER} がありますが、"
                    f"{demo.reason}。合成デモデータと確かめられないため、デモ用キーでの処理を拒否します。"
                    f"実データなら {README_KEY_HINT}")
            raise KeyRefusedError(
                f"仮名化キーがありません: 環境変数 {ENV_VAR} も {key_file} もありません。"
                f"入力 {input_name} には {DEMO_MARKER} 目印がないため実データとみなし、"
                f"デモ用キーでの処理を拒否します。{README_KEY_HINT}"
            )
        logger.warning(
            "【警告】デモ用の公開キーで仮名化しています。合成データ専用です。"
            "この仮IDは誰でも再計算できるため、実データには絶対に使わないでください"
        )
        key, source = DEMO_KEY, "demo"
    if key == DEMO_KEY and not demo.synthetic:
        raise KeyRefusedError(
            f"デモ用キーが指定されていますが、入力 {input_name} は合成デモデータと確かめられません"
            f"({demo.reason or DEMO_MARKER + ' 目印なし'})。実データにはデモ用キーを使えません。{README_KEY_HINT}"
        )
    return PseudonymKey(key=key, source=source if key != DEMO_KEY else "demo", fingerprint=key_fingerprint(key))
