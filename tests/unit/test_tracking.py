import subprocess
import sys

import mlflow
import pytest

from kogadx.tracking import stage_dep_hashes, start_run, tracking_uri


@pytest.fixture()
def fake_project(tmp_path):
    (tmp_path / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (tmp_path / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  forecast:\n    cmd: python pipelines/forecast.py\n    deps:\n"
        "    - path: data/features/panel.parquet\n      hash: md5\n      md5: 0123abcd\n"
        "    - path: src/kogadx/demand\n      hash: md5\n      md5: 99ff.dir\n",
        encoding="utf-8",
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def test_stage_dep_hashes_reads_lock(fake_project):
    assert stage_dep_hashes("forecast", fake_project / "dvc.lock") == {
        "data/features/panel.parquet": "0123abcd",
        "src/kogadx/demand": "99ff.dir",
    }
    assert stage_dep_hashes("missing", fake_project / "dvc.lock") == {}


def test_tracking_uri_defaults_to_sqlite_in_root(fake_project, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri(fake_project) == f"sqlite:///{(fake_project / 'mlflow.db').as_posix()}"


def test_start_run_tags_commit_stage_and_dep_hashes(fake_project, tmp_path):
    plt = __import__("kogadx.plotting", fromlist=["setup"]).setup()
    with start_run("demand-test", stage="forecast", run_name="lgbm", params={"model": {"leaves": 31}},
                   root=fake_project) as run:
        run.log_metrics({"wape": 0.2, "nested": {"mae": 1.5}, "label": "not a number"})
        fig, ax = plt.subplots()
        ax.set_title("テスト")
        run.log_figure(fig, "figures/test.png")
        plt.close(fig)
        run_id = run.run_id
    logged = mlflow.get_run(run_id)
    assert logged.data.tags["dvc_stage"] == "forecast"
    assert logged.data.tags["dvc_dep:data/features/panel.parquet"] == "0123abcd"
    assert logged.data.tags["git_commit"]  # 'unknown' in a repo without commits is still a value
    assert logged.data.params["model.leaves"] == "31"
    assert logged.data.metrics == {"wape": 0.2, "nested.mae": 1.5}
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "figures")]
    assert artifacts == ["figures/test.png"]


def test_importing_kogadx_configures_nothing():
    code = (
        "import logging, kogadx, kogadx.tracking, kogadx.io, kogadx.plotting, kogadx.cli;"
        "import sys; assert not logging.getLogger().handlers;"
        "assert 'mlflow' not in sys.modules, 'mlflow imported at import time'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
