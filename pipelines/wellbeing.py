"""DVC stage ``wellbeing``: survey weights, district indicators, driver models, figures.

    python pipelines/wellbeing.py SURVEY RESIDENTS TOWNS OUT_DIR FIGURES_DIR METRICS [--stops STOPS]

SURVEY: pseudonymized survey Parquet; RESIDENTS: pseudonymized register Parquet (person_id,
age or age_band, sex, town_code); TOWNS: towns GeoParquet; STOPS: optional Parquet of stops
with lat/lon. Params: ``wellbeing`` section of params.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import geopandas as gpd
import pandas as pd
import typer

from kogadx.io import InputFileError, get_stage_logger, write_json, write_parquet
from kogadx.params import load_params
from kogadx.plotting import save_figure, setup
from kogadx.tracking import start_run
from kogadx.wellbeing import run_wellbeing
from kogadx.wellbeing.data import SurveyDataError


def _read(path: Path, geo: bool = False) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(f"{path}: ファイルがありません")
    if geo:
        try:
            return gpd.read_parquet(path)
        except ValueError:  # plain Parquet (e.g. stops with lat/lon only)
            return pd.read_parquet(path)
    return pd.read_parquet(path)


def main(
    survey: Annotated[Path, typer.Argument(help="仮名加工済みの調査票 Parquet")],
    residents: Annotated[Path, typer.Argument(help="仮名加工済みの住民 Parquet（母集団の周辺分布）")],
    towns: Annotated[Path, typer.Argument(help="町丁目 GeoParquet")],
    out_dir: Annotated[Path, typer.Argument(help="出力フォルダ（data/features/wellbeing）")],
    figures_dir: Annotated[Path, typer.Argument(help="図の出力フォルダ")],
    metrics: Annotated[Path, typer.Argument(help="指標 JSON（metrics/wellbeing.json）")],
    stops: Annotated[Optional[Path], typer.Option(help="停留所・駅 Parquet（lat, lon 列）")] = None,  # noqa: UP007
) -> None:
    """地域幸福度: 重み付け・地区別指標・要因分析・図を作成します。"""
    log = get_stage_logger("wellbeing")
    params = load_params("wellbeing")
    inputs = {"survey": _read(survey), "residents": _read(residents), "towns": _read(towns, geo=True)}
    try:
        result = run_wellbeing(**inputs, params=params, stops=_read(stops, geo=True) if stops else None)
    except SurveyDataError as exc:
        raise InputFileError(f"{survey} / {residents}: {exc}") from exc
    for name, table in result.tables.items():
        write_parquet(table, out_dir / f"{name}.parquet")
    for name, figure in result.figures.items():
        save_figure(figure, figures_dir / name)
    setup().close("all")
    write_json(result.metrics, metrics)
    log.info("回答者 %d 人、最大周辺誤差 %.2g pt", result.metrics["n_respondents"], result.metrics["raking"]["max_margin_error_pp"])
    with start_run("wellbeing", stage="wellbeing", run_name="drivers", params=params) as run:
        run.log_metrics(result.metrics)
        for name in result.figures:
            run.log_artifact(figures_dir / name, artifact_path="figures")
        if params.get("log_models", False):
            # Explicit requirements: MLflow's inference imports the model in a subprocess (slow).
            example, reqs = result.models["input_example"], result.models["pip_requirements"]
            run.mlflow.sklearn.log_model(result.models["linear"], name="linear", input_example=example,
                                         pip_requirements=reqs, skops_trusted_types=["numpy.dtype"])
            run.mlflow.lightgbm.log_model(result.models["lightgbm"], name="lightgbm", input_example=example,
                                          pip_requirements=reqs)
    log.info("完了: %s", out_dir)


if __name__ == "__main__":
    typer.run(main)
