"""`kogadx forecast …`: run the demand backtest on any series a user brings (CSV or Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from pydantic import ValidationError

from kogadx.demand.backtest import band_labels, run_backtest
from kogadx.demand.evaluation import compare_models, summarize
from kogadx.demand.forecast import BASELINE_MODELS, ForecastConfig
from kogadx.demand.lags import PanelSpec, prepare_panel, steps_per_week
from kogadx.demand.params import ForecastParams, defaults_of
from kogadx.demand.plots import model_label
from kogadx.io import InputFileError, read_text_table, sha256_file, write_json, write_parquet

app = typer.Typer(help="需要予測: 任意の時系列で予測モデルのバックテストを行います。", no_args_is_help=True)

# What each model does, after its name, in the summary printed for the user.
MODEL_NOTES = {
    "mstl": "statsforecast",
    "autoets": "statsforecast",
    "croston_optimized": "statsforecast",
    "tsb": "statsforecast",
    "adida": "statsforecast",
    "imapa": "statsforecast",
    "lightgbm": "グローバルモデル",
}
# the backtest rows written to DIR/predictions.parquet, in these names
PREDICTION_COLUMNS = {"unique_id": "series", "ds": "time", "origin": "origin", "horizon": "horizon",
                      "model": "model", "y": "y", "yhat": "yhat", "lower": "lower", "upper": "upper",
                      "scored": "scored", "fold": "fold"}
DEFAULTS = defaults_of(ForecastParams)  # the options' defaults are the forecast section's
SEED = 20221001  # the forecast section's seed (params.yaml), for series that bring none
# the option that sets each ForecastParams field, to name it in an error
OPTION_OF = {"horizons": "--horizon", "n_folds": "--folds", "step": "--step", "models": "--models",
             "coverage": "--coverage", "seed": "--seed", "num_boost_round": "--num-boost-round",
             "train_window": "--train-window", "warmup": "--warmup", "calendar": "--calendar"}


@app.callback()
def forecast() -> None:
    """需要予測のコマンド群。"""


def read_series_table(path: Path) -> pd.DataFrame:
    """Read a CSV (any of the project's encodings) or Parquet; numeric-looking text → numbers."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: ファイルがありません")
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    frame, _ = read_text_table(path)
    out = {}
    for col in frame.columns:
        text = frame[col].str.strip()
        blank = text == ""
        numbers = pd.to_numeric(text.mask(blank), errors="coerce")
        out[col] = numbers if numbers.notna().sum() == (~blank).sum() and (~blank).any() else frame[col]
    return pd.DataFrame(out)


def evaluate_table(
    frame: pd.DataFrame, spec: PanelSpec, config: ForecastConfig
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Prepare, backtest and summarize one table; returns (metrics document, predictions)."""
    panel = prepare_panel(frame, spec)
    result = run_backtest(panel, config)
    labels = band_labels(config.hour_bands) if spec.freq == "h" else {0: ("all-day", "全日")}
    document = {
        "metrics": summarize(result.predictions, config.coverage, result.scales, labels),
        "comparison": compare_models(result.predictions, config.seed, config.bootstrap),
        "origins": {f"h{h}": [o.isoformat() for o in origins] for h, origins in result.origins.items()},
        "closed_steps": result.closed,
        "service_col": spec.service_col,
        "series": int(panel.frame["unique_id"].nunique()),
        "rows": len(panel.frame),
        "filled_steps": panel.filled_steps,
        "notes": list(panel.notes),
        "features_exogenous": list(panel.exog_cols),
        "config": {
            "horizons": list(config.horizons), "n_folds": config.n_folds, "step": config.fold_step,
            "models": list(config.models), "coverage": config.coverage, "seed": config.seed,
            "num_boost_round": config.num_boost_round, "lightgbm": dict(config.lgbm_params),
            "train_window": config.train_window, "mstl_history": config.mstl_history,
            "warmup": config.warmup, "calendar": config.calendar, "hour_bands": list(config.hour_bands),
        },
    }
    predictions = result.predictions[list(PREDICTION_COLUMNS)].rename(columns=PREDICTION_COLUMNS)
    return document, predictions


def select_period(frame: pd.DataFrame, time_col: str, since: str | None, until: str | None) -> pd.DataFrame:
    """Rows with ``since <= time <= until`` (each optional; until a date = through that day)."""
    if since is None and until is None:
        return frame
    if time_col not in frame.columns:
        raise ValueError(f"列 '{time_col}' がありません (列: {list(frame.columns)})")
    times = pd.to_datetime(frame[time_col], errors="coerce")
    keep = pd.Series(True, index=frame.index)
    for option, text in (("--since", since), ("--until", until)):
        if text is None:
            continue
        bound = pd.Timestamp(text) if not pd.isna(pd.to_datetime(text, errors="coerce")) else None
        if bound is None:
            raise ValueError(f"{option}: 日時として解釈できません ({text!r})")
        if option == "--since":
            keep &= times >= bound
        else:
            keep &= times < bound + pd.Timedelta(days=1) if bound == bound.normalize() else times <= bound
    return frame[keep.to_numpy()].reset_index(drop=True)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def _label(model: str) -> str:
    note = MODEL_NOTES.get(model)
    return f"{model_label(model)} ({note})" if note else model_label(model)


def _option_errors(exc: ValidationError) -> str:
    """One line per bad option: the option, the value given and pydantic's reason."""
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        lines.append(f"{OPTION_OF.get(field, field)}: {err['msg']} (指定値: {err.get('input')!r:.60})")
    return "オプションの値が不正です:\n  " + "\n  ".join(lines)


@app.command()
def evaluate(
    input: Annotated[Path, typer.Option("--input", help="入力ファイル (CSV または Parquet)")],
    time_col: Annotated[str, typer.Option("--time-col", help="日時の列名")],
    target_col: Annotated[str, typer.Option("--target-col", help="予測対象 (件数) の列名")],
    out: Annotated[Path, typer.Option("--out", help="結果を書き出すフォルダ")],
    group_col: Annotated[str | None, typer.Option("--group-col", help="系列 (ゾーン等) の列名")] = None,
    horizon: Annotated[list[int] | None, typer.Option("--horizon", help="予測期間 (ステップ数、複数指定可)")] = None,
    folds: Annotated[int, typer.Option("--folds", help="ローリング起点の数")] = DEFAULTS["n_folds"],
    freq: Annotated[str, typer.Option("--freq", help="時間間隔: h (毎時) または D (日次)")] = DEFAULTS["freq"],
    step: Annotated[int | None, typer.Option("--step", help="起点の間隔 (ステップ数、既定は最長の予測期間)")] = None,
    models: Annotated[str, typer.Option("--models", help="比較するモデル (カンマ区切り)")] = ",".join(
        (*BASELINE_MODELS, "lightgbm")
    ),
    drop_cols: Annotated[str, typer.Option("--drop-cols", help="特徴量に使わない列 (カンマ区切り)")] = "",
    truth_col: Annotated[str | None, typer.Option("--truth-col", help="真の期待値の列 (オラクル用)")] = None,
    fill: Annotated[str, typer.Option("--fill", help="欠けた時刻の目的変数: zero / interpolate / error")] = DEFAULTS[
        "fill"],
    dedupe: Annotated[bool, typer.Option("--dedupe", help="重複した時刻は最初の行を採用")] = False,
    seed: Annotated[int, typer.Option("--seed", help="乱数シード")] = SEED,
    num_boost_round: Annotated[int, typer.Option("--num-boost-round", help="LightGBM の木の数")] = DEFAULTS[
        "num_boost_round"],
    train_window: Annotated[int | None, typer.Option("--train-window", help="LightGBM の学習期間 (ステップ数)")] = None,
    coverage: Annotated[float, typer.Option("--coverage", help="予測区間の名目被覆率")] = DEFAULTS["coverage"],
    service_col: Annotated[str | None, typer.Option(
        "--service-col", help="運行フラグの列 (0/1)。0 の行は休止 (需要 0 が既知) として採点しません")] = None,
    calendar: Annotated[str | None, typer.Option(
        "--calendar", help="祝日の特徴量を加える国: JP または US (holidays ライブラリ)")] = None,
    warmup: Annotated[int, typer.Option("--warmup", help="予測区間の較正だけに使う最初の起点の数")] = 1,
    since: Annotated[str | None, typer.Option("--since", help="この日時以降の行だけを使う (例 2015-01-01)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="この日時以前の行だけを使う (例 2019-12-31)")] = None,
) -> dict[str, Any]:
    """時系列を読み込み、ローリング起点バックテストでモデル別の誤差指標 (WAPE, MAE, RMSSE, ポアソン逸脱度) と
    予測区間の被覆率を JSON に、バックテストの全予測行を predictions.parquet に書き出します。"""
    horizons = tuple(horizon or [24 if freq == "h" else 7])
    try:
        spec = PanelSpec(
            time_col=time_col, target_col=target_col, group_col=group_col, freq=freq,
            truth_col=truth_col, drop_cols=_split(drop_cols), fill=fill,
            duplicates="first" if dedupe else "error", source=str(input), service_col=service_col,
            min_rows=steps_per_week(freq) if freq in ("h", "D") else 0,
        )
        # weather as recorded: a user's series has no issue-time convention to shift it to
        options: dict[str, Any] = {
            "seed": seed, "horizons": horizons, "n_folds": folds, "step": step, "models": _split(models),
            "coverage": coverage, "num_boost_round": num_boost_round, "train_window": train_window,
            "weather": "observed", "mstl_history": DEFAULTS["mstl_history"] if freq == "h" else 7 * 16,
            "warmup": warmup, "calendar": calendar.upper() if calendar else None, "service_col": service_col,
        }
        params = ForecastParams(**options)
        frame = select_period(read_series_table(input), time_col, since, until)
        document, predictions = evaluate_table(frame, spec, ForecastConfig.from_params(params))
    except ValidationError as exc:
        typer.echo(f"エラー: {_option_errors(exc)}", err=True)
        raise typer.Exit(code=2) from exc
    except (ValueError, InputFileError) as exc:
        typer.echo(f"エラー: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    document["input"] = {"file": Path(input).name, "sha256": sha256_file(input)}
    out = Path(out)
    write_json(document, out / "metrics.json")
    write_parquet(predictions, out / "predictions.parquet")
    scope = "運行中の行のみ" if service_col else "全行"
    for key, block in document["metrics"].items():
        typer.echo(f"予測期間 {key[1:]} ステップ ({scope}) — WAPE (系列×時刻 / 合計×日):")
        for model, metrics in sorted(block.items(), key=lambda kv: kv[1]["by_series_step"]["wape"]):
            wape = metrics["by_series_step"]["wape"]
            day = metrics["total_by_day"]["wape"]
            cov = metrics["interval"]["coverage"]
            cov_text = "—" if np.isnan(cov) else f"{cov:.1%}"
            band = metrics["interval"]["min_band_coverage"]
            band_text = "" if np.isnan(band) else f" (時間帯別の最低 {band:.1%})"
            typer.echo(f"  {_label(model)}: {wape:.3f} / {day:.3f}  区間被覆率 {cov_text}{band_text}")
        for other, c in document["comparison"].get(key, {}).items():
            typer.echo(f"    LightGBM − {_label(other)}: WAPE 差 {c['wape_diff']:+.3f} "
                       f"(95% 区間 {c['ci95_low']:+.3f}〜{c['ci95_high']:+.3f}, DM 検定 p = {c['dm_pvalue']:.3f})")
    typer.echo(f"結果: {out / 'metrics.json'}、予測行: {out / 'predictions.parquet'}")
    return document
