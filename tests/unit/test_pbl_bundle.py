"""The PBL student bundle (kogadx.pbl.bundle): minimal extracts, measured uniqueness, loaders that
read the bundle alone, and exercise 01-4's check (a number or a constant function cannot pass)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kogadx.pbl import bundle, checks, data
from kogadx.pbl.params import StudentBundleParams
from kogadx.privacy.anonymity import class_sizes
from tests.helpers import PROJECT_ROOT

PARAMS = StudentBundleParams()


def _bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _sources(n: int = 40) -> dict[str, bytes]:
    """Every file the themes read, tiny: person-level tables with the project's columns."""
    rng = np.random.default_rng(1)
    towns = rng.choice(["40223000601", "40223000602"], n)
    pid = [f"{i:016x}" for i in rng.permutation(10**6)[:n]]
    tables = {
        bundle.RESIDENTS: pd.DataFrame({"person_id": pid, "age": rng.integers(0, 100, n),
                                        "sex": rng.choice(["男", "女"], n), "town_code": towns,
                                        "household_id": [f"h{i // 2}" for i in range(n)],
                                        "relationship": rng.choice(["世帯主", "子"], n), "town_name": towns}),
        bundle.RIDES: pd.DataFrame({
            "request_id": [f"R{i:08d}" for i in range(n)], "member_id": pid,
            "requested_at": pd.Timestamp("2024-07-01 09:00") + pd.to_timedelta(rng.integers(0, 600, n), unit="min"),
            "desired_pickup_at": (pd.Timestamp("2024-07-01 10:00")
                                  + pd.to_timedelta(rng.integers(0, 600, n), unit="min")),
            "origin_stop_id": rng.choice(["S001", "S002"], n), "destination_stop_id": rng.choice(["S003", "S004"], n),
            "passengers": 1, "outcome": "完了", "actual_pickup_at": pd.NaT, "actual_dropoff_at": pd.NaT,
            "vehicle_id": "V1", "fare_yen": 200, "payment_method": "現金"}),
        bundle.SURVEY: pd.DataFrame({"response_id": [f"WB{i}" for i in range(n)], "person_id": pid,
                                     "age": rng.integers(18, 90, n), "sex": rng.choice(["男", "女"], n),
                                     "town_code": towns, "town_name": towns, "happiness": rng.integers(0, 11, n),
                                     "comment": "最近体調がすぐれず"}),
        bundle.SURVEY_WEIGHTS: pd.DataFrame({"person_id": pid[::-1], "district": "千鳥", "age_group": "18-29",
                                             "sex": "男", "weight": 1.5}),
        bundle.COUNTER_LOG: pd.DataFrame({
            "reception_id": [f"U{i}" for i in range(n)], "case_number": pid, "year": 2023, "venue": "本庁",
            "arrived_at": pd.Timestamp("2023-08-01 09:00") + pd.to_timedelta(np.arange(n), unit="min"),
            "called_at": pd.Timestamp("2023-08-01 09:05"), "ended_at": pd.Timestamp("2023-08-01 09:15"),
            "case_type": "変更なし", "counter": 1}),
        bundle.STUDENT_RIDES: pd.DataFrame({"rider_day": "U1",
                                            "desired_pickup_at": pd.Timestamp("2024-07-01 10:00"),
                                            "origin_zone": rng.choice(["千鳥", "花鶴丘"], n),
                                            "destination_zone": "駅東",
                                            "passengers": 1, "payment_method": "現金", "outcome": "完了"}),
        "data/anonymized/residents.parquet": pd.DataFrame({"age": "0-4", "sex": "女", "town_code": "40223000100",
                                                           "relationship": "*", "household_size": "2人"},
                                                          index=range(5)),
    }
    files = {path: _bytes(frame) for path, frame in tables.items()}
    files["dvc.yaml"] = (PROJECT_ROOT / "dvc.yaml").read_bytes()  # the mobility theme derives its pipeline from it
    for source in bundle.theme_sources():
        if source.endswith("/"):
            files[source + "a.parquet"] = b"folder file"
        elif source not in files:
            files[source] = f"{source}\n".encode()
    return files


@pytest.fixture(scope="module")
def built() -> dict[str, bundle.BundleTheme]:
    files = _sources()
    return {t.name: bundle.build_theme(t, files, PARAMS) for t in bundle.THEMES}


def test_the_stage_deps_are_the_sources_the_bundle_reads():
    """dvc.yaml lists what theme_sources() reads (dvc.yaml itself cannot be a DVC dep)."""
    stage = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]["student_bundle"]
    deps = {d for d in stage["deps"] if not d.startswith(("src/", "pipelines/"))}
    assert deps == {s.rstrip("/") for s in bundle.theme_sources()} - {"dvc.yaml"}


def test_every_notebook_has_exactly_one_theme():
    numbers = [n for t in bundle.THEMES for n in t.notebooks]
    assert len(numbers) == len(set(numbers))
    on_disk = {p.stem[:2] for p in (PROJECT_ROOT / "notebooks" / "pbl").glob("[0-9][0-9]_*.py")}
    assert on_disk <= set(numbers), f"テーマのないノートブック: {sorted(on_disk - set(numbers))}"


def test_extracts_keep_no_identifier_no_age_no_free_text(built):
    forbidden = {"person_id", "household_id", "member_id", "case_number", "response_id", "comment", "age",
                 "vehicle_id", "reception_id"}
    for name, theme in built.items():
        for path, table in theme.tables.items():
            allowed = {"person_id"} if name == "wellbeing" else set()  # bundle-local respondent numbers
            assert not (set(table.columns) & (forbidden - allowed)), (name, path, list(table.columns))
    residents = built["mobility"].tables["data/student/residents.parquet"]
    assert "relationship" not in residents  # only the privacy theme (01's l-diversity) keeps 続柄
    assert "relationship" in built["privacy"].tables["data/student/residents.parquet"]


def test_age_bands():
    bands = bundle.age_bands(pd.Series([0, 4, 5, 64, 65, 89, 90, 104, None]), 5, 90)
    assert bands.tolist()[:8] == ["0-4", "0-4", "5-9", "60-64", "65-69", "85-89", "90+", "90+"]
    assert pd.isna(bands.iloc[8])
    assert data.age_band_start(bands).tolist()[:8] == [0, 0, 5, 60, 65, 85, 90, 90]


def test_respondent_numbers_join_survey_to_weights_and_nothing_else(built):
    tables = built["wellbeing"].tables
    survey, weights = tables["data/student/survey.parquet"], tables[bundle.SURVEY_WEIGHTS]
    assert set(survey["person_id"]) == set(weights["person_id"])
    original = set(pd.read_parquet(io.BytesIO(_sources()[bundle.SURVEY]))["person_id"])
    assert not set(survey["person_id"]) & original


def test_uniqueness_is_measured_on_the_records():
    frame = pd.DataFrame({"a": [1, 1, 2, 3, 3, 3], "b": ["x", "x", "y", "z", "z", "z"]})
    measured = bundle.uniqueness(frame, ("a", "b", "not_in_table"))
    assert measured["quasi_identifiers"] == ["a", "b"]
    assert measured["share_unique"] == pytest.approx(1 / 6, abs=1e-6)
    assert measured["k"] == 1 and measured["classes"] == 3


def test_readme_states_every_measured_table(built):
    for theme in built.values():
        text = bundle.readme(theme)
        for path, m in theme.measured.items():
            row = next(line for line in text.splitlines() if line.startswith(f"| `{path}`"))
            assert f"{float(m['share_unique']) * 100:.1f} %" in row and row.endswith(f"| {m['k']} |")
        assert set(bundle.marker(theme)["measured"]) == set(theme.measured)


# ----------------------------------------------------------------- loaders from a bundle alone


@pytest.fixture()
def bundle_dir(tmp_path, monkeypatch) -> Path:
    """A theme folder alone (no project around it) with one extract; cwd inside it, no env."""
    root = tmp_path / "privacy"
    extract = root / "data" / "student" / "residents.parquet"
    extract.parent.mkdir(parents=True)
    pd.DataFrame({"age_band": ["65-69"], "sex": ["女"], "town_code": ["1"]}).to_parquet(extract)
    (root / "bundle.json").write_text(json.dumps(
        {"replaces": {"data/pseudonymized/residents.parquet": "data/student/residents.parquet"},
         "files": {}}), encoding="utf-8")
    monkeypatch.delenv("KOGADX_ROOT", raising=False)
    monkeypatch.delenv("KOGADX_BUNDLE", raising=False)
    monkeypatch.chdir(root / "data")
    return root


def test_the_bundle_is_found_from_its_marker_and_read_alone(bundle_dir, tmp_path, monkeypatch):
    assert data.project_root() == bundle_dir.resolve()
    assert data.load_residents().columns.tolist() == ["age_band", "sex", "town_code"]
    with pytest.raises(data.SecureZoneError):
        data.read_table("data/raw/residents.csv")
    outside = tmp_path / "elsewhere.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(outside)
    with pytest.raises(data.OutsideShareableZoneError):
        data.read_table(outside)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KOGADX_BUNDLE", str(bundle_dir))  # the env var wins over the working folder
    assert data.project_root() == bundle_dir.resolve()


def test_without_the_marker_the_extract_is_not_used(bundle_dir):
    (bundle_dir / "bundle.json").unlink()
    (bundle_dir / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        data.load_residents()  # data/pseudonymized/residents.parquet is not in the folder


# ----------------------------------------------------------------- exercise 01-4: share unique and k


def _risk_of(df, quasi_identifiers):
    sizes = df.groupby(list(quasi_identifiers), dropna=False).size()
    return float((sizes == 1).sum() / len(df)), int(sizes.min())


@pytest.fixture()
def rides() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    n = 200
    return pd.DataFrame({"desired_pickup_at": pd.Timestamp("2024-07-01") + pd.to_timedelta(rng.integers(0, 48, n), "h"),
                         "origin_zone": rng.choice(["千鳥", "花鶴丘", "駅東"], n), "passengers": rng.integers(1, 3, n)})


QI = ["desired_pickup_at", "origin_zone", "passengers"]


def test_share_unique_accepts_the_computation(rides, capsys):
    assert checks.check_share_unique(_risk_of, rides, QI) is True
    assert "✅ 正解" in capsys.readouterr().out


def test_share_unique_cannot_be_passed_a_value_or_a_constant(rides, capsys):
    sizes = class_sizes(rides, QI)
    right = (float((sizes == 1).sum() / len(rides)), int(sizes.min()))
    assert checks.check_share_unique(right, rides, QI) is False  # the value itself
    assert checks.check_share_unique(lambda d, q: right, rides, QI) is False  # a function returning it
    assert checks.check_share_unique(lambda d, q: (_risk_of(d, q)[0], 1), rides, QI) is False  # k always 1
    out = capsys.readouterr().out
    assert out.count("❌ 不正解") == 3 and f"{right[0]:.3f}" not in out


@pytest.mark.parametrize(("wrong", "hint"), [
    (lambda d, q: ((d.groupby(q).size() == 1).sum(), d.groupby(q).size().min()), "割合"),
    (lambda d, q: ((d.groupby(q).size() == 1).mean(), d.groupby(q).size().min()), "同値クラスの数で割って"),
    (lambda d, q: (_risk_of(d, q)[0], d.groupby(q).size().max()), "最小値"),
])
def test_share_unique_hints(rides, capsys, wrong, hint):
    assert checks.check_share_unique(wrong, rides, QI) is False
    assert hint in capsys.readouterr().out


def test_the_mobility_bundle_runs_the_forecast_stage_without_the_secure_truth():
    """Notebook 07's route: the bundle's own dvc.yaml is the project's forecast stage (same params,
    same outputs) run by kogadx.pbl.reproduce, with no input from the secure zone."""
    project = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]["forecast"]
    pipeline = yaml.safe_load(bundle.bundle_pipeline((PROJECT_ROOT / "dvc.yaml").read_bytes()))
    stage = pipeline["stages"]["forecast"]
    assert list(pipeline["stages"]) == ["forecast"] and stage["params"] == project["params"]
    assert not [d for d in stage["deps"] if d.startswith(("data/truth", "data/raw", "data/secure"))]
    assert "data/truth" not in stage["cmd"] and stage["cmd"].startswith("python -m kogadx.pbl.reproduce ")
    project_outs = {next(iter(o)) if isinstance(o, dict) else o for o in project["outs"] + project["metrics"]}
    bundle_outs = {next(iter(o)) if isinstance(o, dict) else o for o in stage["outs"] + stage["metrics"]}
    assert bundle_outs == project_outs
    themes = {t.name: t for t in bundle.THEMES}
    assert themes["mobility"].runnable and "07" in themes["mobility"].notebooks


def test_reproduce_has_the_forecast_scripts_slots():
    """kogadx.pbl.reproduce takes the forecast script's slots minus the truth, in the same order."""
    import ast

    def slots(path: Path) -> list[str]:
        call = next(n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "parse_args")
        return [a.value for a in call.args[2:] if isinstance(a, ast.Constant)]

    script = slots(PROJECT_ROOT / "pipelines" / "forecast.py")
    assert slots(PROJECT_ROOT / "src" / "kogadx" / "pbl" / "reproduce.py") == [s for s in script if s != "truth?"]
