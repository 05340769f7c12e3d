"""params.yaml, read once and checked: one frozen dataclass per section.

Each domain declares the schema of its section in ``kogadx/<domain>/params.py`` with
:func:`section` (a frozen pydantic dataclass that refuses unknown keys) and a ``SECTION``
class variable naming the section. Defaults live only there. A stage loads its params with

    params = load_params(Co2Params)              # one section
    params = load_params(DispatchStageParams)    # several: a class whose fields are sections

and a missing or bad value stops it at load, with a Japanese + English message naming the
key and the file, instead of failing deep inside a simulation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar, cast, dataclass_transform

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from kogadx.errors import UserFacingError
from kogadx.paths import find_project_root

T = TypeVar("T")

_SECTION_CONFIG = ConfigDict(extra="forbid")
_STAGE_CONFIG = ConfigDict(extra="ignore")


@dataclass_transform(frozen_default=True, field_specifiers=(Field,))
def section(cls: type[T]) -> type[T]:
    """Decorate a params section (or a sub-table of one): frozen, typed, no unknown keys."""
    return cast("type[T]", _pydantic_dataclass(frozen=True, config=_SECTION_CONFIG)(cls))


@dataclass_transform(frozen_default=True, field_specifiers=(Field,))
def stage_params(cls: type[T]) -> type[T]:
    """Decorate a stage's params made of several sections (each field is one section)."""
    return cast("type[T]", _pydantic_dataclass(frozen=True, config=_STAGE_CONFIG)(cls))


class ParamsError(UserFacingError, ValueError):
    """A missing or invalid value in params.yaml (the message names the key and the file)."""


def params_path(path: str | Path | None = None) -> Path:
    """The params file: ``path``, else ``KOGADX_PARAMS``, else ``<project root>/params.yaml``."""
    if path is None:
        # KOGADX_PARAMS lets tests and what-if runs point stages at another params file.
        path = os.environ.get("KOGADX_PARAMS") or find_project_root() / "params.yaml"
    return Path(path)


def read_params_file(path: str | Path | None = None) -> dict[str, Any]:
    """The whole params file as plain data, read as UTF-8 (CP932 is the default on a
    Japanese Windows laptop). Prefer :func:`load_params`; this is for provenance only."""
    file = params_path(path)
    try:
        with file.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except FileNotFoundError as exc:
        raise ParamsError(f"{file}: 設定ファイルがありません (params file not found)") from exc
    if not isinstance(data, dict):
        raise ParamsError(f"{file}: 設定ファイルの形式が不正です (params file is not a mapping)")
    return data


def load_params(schema: type[T], path: str | Path | None = None) -> T:
    """Read, validate and return the params of ``schema``.

    ``schema`` is a section class (with ``SECTION``: that section of params.yaml) or a
    stage class made with :func:`stage_params` (its fields are read from the top level).
    Raises :class:`ParamsError` naming the key and the file on a missing or bad value.
    """
    file = params_path(path)
    data: Any = read_params_file(file)
    name = getattr(schema, "SECTION", None)
    if name is not None:
        if name not in data:
            raise ParamsError(f"{file} に '{name}' セクションがありません (section '{name}' is missing in {file.name})")
        data = data[name]
    return validate_params(schema, data, file, name)


def validate_params(schema: type[T], data: Any, file: str | Path = "params.yaml", prefix: str | None = None) -> T:
    """Validate plain data against ``schema`` (used by :func:`load_params` and by tests)."""
    try:
        return TypeAdapter(schema).validate_python(data)
    except ValidationError as exc:
        raise ParamsError(_describe(exc, Path(file), prefix)) from None


def as_dict(params: Any) -> dict[str, Any]:
    """Plain nested dict of a params object (for MLflow params and provenance)."""
    return TypeAdapter(type(params)).dump_python(params, mode="json")


_JAPANESE = {
    "missing": "値がありません",
    "extra_forbidden": "未知のキーです (綴りを確認してください)",
    "unexpected_keyword_argument": "未知のキーです (綴りを確認してください)",
    "literal_error": "使える値ではありません",
    "int_parsing": "整数ではありません",
    "int_from_float": "整数ではありません",
    "int_type": "整数ではありません",
    "float_parsing": "数値ではありません",
    "float_type": "数値ではありません",
    "bool_parsing": "true / false ではありません",
    "bool_type": "true / false ではありません",
    "string_type": "文字列ではありません",
    "greater_than": "小さすぎます",
    "greater_than_equal": "小さすぎます",
    "less_than": "大きすぎます",
    "less_than_equal": "大きすぎます",
    "value_error": "値が不正です",
    "assertion_error": "値が不正です",
    "tuple_type": "リストではありません",
    "list_type": "リストではありません",
    "dict_type": "対応表 (key: value) ではありません",
    "dataclass_type": "対応表 (key: value) ではありません",
    "too_short": "要素が足りません",
    "too_long": "要素が多すぎます",
}


def _describe(exc: ValidationError, file: Path, prefix: str | None) -> str:
    """One line per problem: key, Japanese reason, English reason, the value given."""
    lines: dict[str, str] = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in ([prefix] if prefix else []) + [p for p in err["loc"] if _is_key(p)])
        key = key or (prefix or "(root)")
        if key in lines:  # a union reports each alternative: one line per key is enough
            continue
        reason = _JAPANESE.get(err["type"], "値が不正です")
        given = "" if err["type"] == "missing" else f" (指定値 given: {err.get('input')!r:.60})"
        lines[key] = f"  {key}: {reason} / {err['msg']}{given}"
    return (f"{file}: 設定値に誤りがあります (invalid params in {file.name}); "
            "params.yaml の次のキーを直してください:\n" + "\n".join(lines.values()))


def _is_key(part: Any) -> bool:
    """Keep dict keys and list positions of a pydantic error location, drop union tags."""
    if isinstance(part, int):
        return True
    text = str(part)
    return not ("[" in text or "(" in text or text in _TYPE_TAGS)


_TYPE_TAGS = {"int", "float", "str", "bool", "none", "tuple", "list", "dict"}

