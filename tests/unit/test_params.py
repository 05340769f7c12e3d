"""Typed params: every section of params.yaml has a schema, and a bad value stops at load."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from kogadx.energy.params import Co2Params
from kogadx.params import ParamsError, as_dict, load_params, validate_params
from kogadx.wellbeing.params import WellbeingParams

ROOT = Path(__file__).resolve().parents[2]


def section_classes() -> dict[str, type]:
    """Section name → its schema class, found in every ``kogadx/<domain>/params.py``."""
    found: dict[str, type] = {}
    modules = [f"kogadx.{p.parent.name}.params" for p in sorted((ROOT / "src" / "kogadx").glob("*/params.py"))]
    # Core modules with a section of their own (read by stages of several domains).
    modules.append("kogadx.compute")
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            name = getattr(value, "SECTION", None)
            if isinstance(value, type) and isinstance(name, str) and value.__module__ == module.__name__:
                found[name] = value
    return found


def test_every_section_of_params_yaml_has_a_schema_and_loads():
    sections = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    classes = section_classes()
    assert set(sections) <= set(classes), f"sections without a schema: {sorted(set(sections) - set(classes))}"
    for name, schema in classes.items():
        params = load_params(schema, ROOT / "params.yaml")
        # what is loaded is what params.yaml says (nothing dropped, nothing renamed)
        assert _same(as_dict(params), sections[name]), name


def _same(loaded, written) -> bool:
    if isinstance(written, dict):
        return all(k in loaded and _same(loaded[k], v) for k, v in written.items())
    if isinstance(written, list):
        return len(loaded) == len(written) and all(_same(a, b) for a, b in zip(loaded, written, strict=True))
    return loaded == written


def _write(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_bad_value_names_the_key_and_the_file_in_japanese_and_english(tmp_path):
    path = _write(tmp_path, lambda d: d["co2"]["baseline"].update(cv_max="high"))
    with pytest.raises(ParamsError) as err:
        load_params(Co2Params, path)
    message = str(err.value)
    assert str(path) in message and "co2.baseline.cv_max" in message
    assert "数値ではありません" in message and "valid number" in message and "'high'" in message


def test_a_misspelt_key_is_refused_not_ignored(tmp_path):
    path = _write(tmp_path, lambda d: d["wellbeing"].update(min_district=5))
    with pytest.raises(ParamsError, match=r"wellbeing\.min_district: 未知のキー"):
        load_params(WellbeingParams, path)


def test_a_missing_required_value_and_a_missing_section(tmp_path):
    path = _write(tmp_path, lambda d: d["co2"].pop("fiscal_year"))
    with pytest.raises(ParamsError, match=r"co2\.fiscal_year: 値がありません"):
        load_params(Co2Params, path)
    path = _write(tmp_path, lambda d: d.pop("wellbeing"))
    with pytest.raises(ParamsError, match="'wellbeing' セクションがありません"):
        load_params(WellbeingParams, path)


def test_ranges_and_choices_are_checked():
    with pytest.raises(ParamsError, match=r"wellbeing\.level"):
        validate_params(WellbeingParams, {"seed": 1, "level": 1.5}, prefix="wellbeing")
    with pytest.raises(ParamsError, match=r"wellbeing\.drivers\.linear_model: 使える値ではありません"):
        validate_params(WellbeingParams, {"seed": 1, "drivers": {"linear_model": "lasso"}}, prefix="wellbeing")


def test_params_are_frozen():
    params = load_params(WellbeingParams, ROOT / "params.yaml")
    with pytest.raises(Exception, match="frozen|assign"):
        params.seed = 2
