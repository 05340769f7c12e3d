"""Where the pseudonymisation key comes from, and when the demo key is refused (pure: no I/O).

Order: environment variable ``KOGADX_PSEUDONYM_KEY`` → key file ``<secure_dir>/pseudonym.key``
→ the public demo key, allowed only when the input folder carries the marker file
``SYNTHETIC_DEMO.json`` with ``"synthetic": true`` (written by the synthesize stage into
data/raw and copied by ingest into data/raw_validated). Real data with the demo key is refused.
The stage (or the command line) reads the variable, the key file and the marker files and
hands them over as :class:`KeyMaterial` and marker bytes; this module only decides.

The key is 削除情報等: it lives in the secure zone (git- and shareable-remote-ignored).
A key is given as 64+ hex digits (e.g. ``python -c "import secrets;print(secrets.token_hex(32))"``)
or as raw bytes of at least 32 bytes in the key file.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from kogadx.errors import UserFacingError
from kogadx.privacy.pseudonym import key_fingerprint

ENV_VAR = "KOGADX_PSEUDONYM_KEY"
KEY_FILE_NAME = "pseudonym.key"
SYNTHETIC_MARKERS = ("SYNTHETIC_DEMO.json", "SYNTHETIC_DEMO")
# Public on purpose: anyone can recompute demo pseudonyms, so only synthetic data may use it.
DEMO_KEY = b"kogadx-DEMO-KEY--synthetic-Koga-only--NOT-A-SECRET"
MIN_KEY_BYTES = 32


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


def is_synthetic_demo(markers: Mapping[str, bytes | None]) -> bool:
    """True when the input folder carries the synthetic-demo marker.

    ``markers`` maps the names of :data:`SYNTHETIC_MARKERS` to the bytes of that file in
    the input folder (None or left out = no such file). ``SYNTHETIC_DEMO.json`` (written by
    synthesize into data/raw, copied by ingest) must hold ``"synthetic": true``; a bare
    ``SYNTHETIC_DEMO`` file is also accepted. The first marker present decides.
    """
    for name in SYNTHETIC_MARKERS:
        content = markers.get(name)
        if content is None:
            continue
        if not name.endswith(".json"):
            return True
        try:  # the ingest copy of the synthesize stage's summary: {"synthetic": true, ...}
            return json.loads(content.decode("utf-8")).get("synthetic") is True
        except (ValueError, AttributeError):
            return False
    return False


def parse_key(text_or_bytes: str | bytes, origin: str) -> bytes:
    """Decode a key: hex text (64+ digits) or raw bytes (32+); raise naming ``origin``."""
    raw = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    stripped = raw.strip()
    try:
        text = stripped.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if text and all(ch in string.hexdigits for ch in text) and len(text) % 2 == 0:
        key = bytes.fromhex(text)
    else:
        key = stripped
    if len(key) < MIN_KEY_BYTES:
        raise KeyRefusedError(
            f"{origin}: 仮名化キーが短すぎます ({len(key)} バイト)。{MIN_KEY_BYTES} バイト以上"
            f"(16進 {2 * MIN_KEY_BYTES} 桁以上)の乱数を使ってください"
        )
    return key


def resolve_key(
    material: KeyMaterial,
    synthetic: bool,
    input_name: str,
    logger: logging.Logger | None = None,
) -> PseudonymKey:
    """The key for pseudonymising the input named ``input_name``; refuse the demo key on real data.

    ``synthetic``: whether the input carries the synthetic-demo marker (:func:`is_synthetic_demo`).
    """
    logger = logger or logging.getLogger("kogadx.privacy")
    key_file = material.file_path
    if material.env:
        key, source = parse_key(material.env, f"環境変数 {ENV_VAR}"), "env"
    elif material.file is not None:
        key, source = parse_key(material.file, key_file), "file"
    else:
        if not synthetic:
            raise KeyRefusedError(
                f"仮名化キーがありません: 環境変数 {ENV_VAR} も {key_file} もありません。"
                f"入力 {input_name} には {SYNTHETIC_MARKERS[0]} 目印がないため実データとみなし、"
                "デモ用キーでの処理を拒否します"
            )
        logger.warning(
            "【警告】デモ用の公開キーで仮名化しています。合成データ専用です。"
            "この仮IDは誰でも再計算できるため、実データには絶対に使わないでください"
        )
        key, source = DEMO_KEY, "demo"
    if key == DEMO_KEY and not synthetic:
        raise KeyRefusedError(
            f"デモ用キーが指定されていますが、入力 {input_name} は合成デモデータではありません"
            f"({SYNTHETIC_MARKERS[0]} 目印なし)。実データにはデモ用キーを使えません"
        )
    return PseudonymKey(key=key, source=source if key != DEMO_KEY else "demo", fingerprint=key_fingerprint(key))

