"""The declarative pseudonymisation policy (YAML): one action per column of every table.

Each column gets exactly one ``action`` and the APPI item it satisfies (個人情報保護委員会規則
= 施行規則 Art. 31):

* ``item1`` — descriptions that identify a person (氏名, 住所, 生年月日, 電話番号 …)
* ``item2`` — individual identification codes (マイナンバー, 住民票コード, 旅券番号 …)
* ``item3`` — descriptions whose misuse could cause property damage (クレジットカード番号 …)
* ``not_personal`` — none of the above (kept as is)

Actions: ``delete``; ``pseudonym`` (keyed HMAC, needs ``domain``; the table's
``person_key`` column must use domain ``person`` and gives ``person_id``, identical across
tables); ``generalise`` (needs ``method``, see :data:`kogadx.privacy.generalise.METHODS`);
``scrub`` (free text: phones, e-mails, card/マイナンバー-like digit runs, register names);
``keep`` (only for ``not_personal``: keeping an item-1/2/3 column is a policy error).
Adding a table is a YAML-only change: a new entry under ``tables``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kogadx.errors import UserFacingError
from kogadx.io import read_package_file
from kogadx.privacy.generalise import METHODS
from kogadx.privacy.pseudonym import DEFAULT_HEX_LENGTH

ACTIONS = ("delete", "pseudonym", "generalise", "keep", "scrub")
APPI_ITEMS = {
    "item1": "施行規則第31条第1号 (特定の個人を識別できる記述等)",
    "item2": "施行規則第31条第2号 (個人識別符号)",
    "item3": "施行規則第31条第3号 (財産的被害が生じるおそれのある記述等)",
    "not_personal": "該当なし (第31条各号の記述等ではない)",
}
PERSON_DOMAIN = "person"
PERSON_ID_COLUMN = "person_id"
POLICY_FILE = "policy.yaml"


# Ingest stores a raw column outside the data contract under this prefix (so that no raw header
# can take an internal column's name). Must equal kogadx.ingest.contracts.EXTRA_PREFIX (a unit
# test checks it); the literal is repeated so that the privacy package does not import ingest.
EXTRA_PREFIX = "extra__"
# A column name shown in a message or the audit is replaced by its position when it looks like
# a value rather than a header (a header-less export's first row: digit runs, e-mail, long text).
_VALUE_LIKE_NAME = re.compile(r"[0-9]{4}|@|\s.*\s")
MAX_SHOWN_NAME_LENGTH = 40


class PolicyError(UserFacingError, ValueError):
    """The policy file is malformed, or a table/column has no policy (names both)."""


class PolicyGapError(PolicyError):
    """A table holds a column (not an ingest extra) that the policy does not name: the stage
    stops before any work. The message names table and columns (never a value)."""


def column_label(name: object, position: int) -> str:
    """The column's name for messages, logs and the audit; a name that looks like a personal
    value (a data row taken as the header) is shown as its position only."""
    text = unicodedata.normalize("NFKC", str(name))
    if len(text) > MAX_SHOWN_NAME_LENGTH or _VALUE_LIKE_NAME.search(text):
        return f"(第{position + 1}列: 値のような列名のため表示しません)"
    return str(name)


@dataclass(frozen=True)
class ColumnRule:
    """The action for one column. ``output`` is the column name written (None = deleted)."""

    column: str
    action: str
    appi: str
    output: str | None
    domain: str | None = None
    method: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    names_from: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class TablePolicy:
    """Rules for one table, keyed by canonical column name, in policy order."""

    name: str
    rules: Mapping[str, ColumnRule]
    person_key: str | None = None
    description: str = ""

    def rule_for(self, column: str) -> ColumnRule:
        """The rule for ``column``; a column without one stops the stage."""
        try:
            return self.rules[column]
        except KeyError:
            raise PolicyGapError(
                f"テーブル '{self.name}' の列 '{column_label(column, 0)}' に仮名加工ポリシーがありません。"
                "ポリシーファイルに action を追加するまで処理を止めます"
            ) from None

    def check_columns(self, columns: Iterable[str]) -> None:
        """Raise naming every column of the data that the policy does not cover."""
        missing = [column_label(c, i) for i, c in enumerate(columns) if c not in self.rules]
        if missing:
            raise PolicyGapError(
                f"テーブル '{self.name}' の列 {', '.join(missing)} に仮名加工ポリシーがありません。"
                "ポリシーファイル (policy.yaml) に action を追加するまで処理を止めます"
                "(何も書き出していません)"
            )

    def extra_columns(self, columns: Iterable[str]) -> list[str]:
        """Ingest's extra columns (``extra__…``) that the policy does not name: dropped, not refused.

        Every other column without a rule stops the stage (:meth:`check_columns`)."""
        return [c for c in columns if isinstance(c, str) and c.startswith(EXTRA_PREFIX) and c not in self.rules]


@dataclass(frozen=True)
class Policy:
    """The whole policy: version, hash of the file, pseudonym settings, tables."""

    version: str
    sha256: str
    hex_length: int
    tables: Mapping[str, TablePolicy]
    source: str = ""

    def table(self, name: str) -> TablePolicy:
        try:
            return self.tables[name]
        except KeyError:
            raise PolicyError(
                f"テーブル '{name}' に仮名加工ポリシーがありません ({self.source})。"
                "ポリシーファイルの tables に追加するまで処理を止めます"
            ) from None


def default_policy_path() -> Path:
    """Where the policy shipped with the package lives (versioned in git; the stage gets it through argv)."""
    return Path(str(resources.files("kogadx.privacy") / POLICY_FILE))


def load_policy() -> Policy:
    """The policy shipped with the package (for notebooks and checks; stages parse the file argv names)."""
    return parse_policy_text(read_package_file("kogadx.privacy", POLICY_FILE), str(default_policy_path()))


def parse_policy_text(text: str | bytes, source: str = "<text>") -> Policy:
    """Parse and validate the policy YAML (the file's bytes, or text); ``source`` names the file in messages.

    The SHA-256 in the audit is the hash of the file as it is (text: of its UTF-8 bytes).
    """
    raw = text.encode("utf-8") if isinstance(text, str) else text
    data = yaml.safe_load(raw.decode("utf-8")) or {}
    return parse_policy(data, sha256=hashlib.sha256(raw).hexdigest(), source=source)


def parse_policy(data: Mapping[str, Any], sha256: str = "", source: str = "<dict>") -> Policy:
    """Validate a policy mapping; every error names table and column."""
    if "tables" not in data or not isinstance(data["tables"], Mapping):
        raise PolicyError(f"{source}: 'tables' がありません")
    pseudo = data.get("pseudonym") or {}
    hex_length = int(pseudo.get("hex_length", DEFAULT_HEX_LENGTH))
    if pseudo.get("algorithm", "hmac-sha256") != "hmac-sha256":
        raise PolicyError(f"{source}: pseudonym.algorithm は hmac-sha256 のみ対応しています")
    tables = {
        name: _parse_table(name, spec or {}, source) for name, spec in data["tables"].items()
    }
    return Policy(
        version=str(data.get("version", "unversioned")),
        sha256=sha256,
        hex_length=hex_length,
        tables=tables,
        source=source,
    )


def _parse_table(name: str, spec: Mapping[str, Any], source: str) -> TablePolicy:
    columns = spec.get("columns") or {}
    if not columns:
        raise PolicyError(f"{source}: テーブル '{name}' に columns がありません")
    person_key = spec.get("person_key")
    rules: dict[str, ColumnRule] = {}
    outputs: dict[str, str] = {}
    for column, rule_spec in columns.items():
        where = f"{source}: テーブル '{name}' の列 '{column}'"
        rule = _parse_rule(str(column), rule_spec, person_key, where)
        if rule.output is not None:
            if rule.output in outputs:
                raise PolicyError(f"{where}: 出力列名 '{rule.output}' が列 '{outputs[rule.output]}' と重複しています")
            outputs[rule.output] = rule.column
        rules[rule.column] = rule
    if person_key is not None:
        key_rule = rules.get(person_key)
        if key_rule is None or key_rule.action != "pseudonym":
            raise PolicyError(
                f"{source}: テーブル '{name}' の person_key '{person_key}' は pseudonym (domain: person) にしてください"
            )
    return TablePolicy(name=name, rules=rules, person_key=person_key, description=str(spec.get("description", "")))


def _parse_rule(column: str, rule_spec: Any, person_key: str | None, where: str) -> ColumnRule:
    """One column's rule; ``where`` names file, table and column in every message."""
    if not isinstance(rule_spec, Mapping):
        raise PolicyError(f"{where}: {{action: ..., appi: ...}} の形で書いてください")
    action = rule_spec.get("action")
    appi = rule_spec.get("appi")
    if action not in ACTIONS:
        raise PolicyError(f"{where}: action '{action}' は {ACTIONS} のいずれかにしてください")
    if appi not in APPI_ITEMS:
        raise PolicyError(f"{where}: appi '{appi}' は {tuple(APPI_ITEMS)} のいずれかにしてください")
    if action == "keep" and appi != "not_personal":
        raise PolicyError(f"{where}: {APPI_ITEMS[appi]} の列をそのまま keep することはできません")
    domain = rule_spec.get("domain")
    method = rule_spec.get("method")
    output = None if action == "delete" else str(rule_spec.get("output", column))
    if action == "pseudonym":
        if not domain:
            raise PolicyError(f"{where}: pseudonym には domain (名前空間) が必要です")
        if (domain == PERSON_DOMAIN) != (column == person_key):
            raise PolicyError(f"{where}: domain '{PERSON_DOMAIN}' は person_key 列 ({person_key}) 専用です")
        if column == person_key:
            output = str(rule_spec.get("output", PERSON_ID_COLUMN))
    if action == "generalise" and method not in METHODS:
        raise PolicyError(f"{where}: generalise の method '{method}' は {sorted(METHODS)} のいずれかにしてください")
    names_from = rule_spec.get("names_from") or ()
    return ColumnRule(
        column=column,
        action=action,
        appi=appi,
        output=output,
        domain=domain,
        method=method,
        options=dict(rule_spec.get("options") or {}),
        names_from=tuple([names_from] if isinstance(names_from, str) else names_from),
        note=str(rule_spec.get("note", "")),
    )
