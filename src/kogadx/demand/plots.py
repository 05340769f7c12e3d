"""Figures of the forecast stage, with Japanese labels (fonts via ``kogadx.plotting``).

``MODEL_LABELS_JA`` names the models wherever a person reads them (figures, ``dvc plots``
series, the ``kogadx forecast evaluate`` summary).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kogadx.plotting import setup

MODEL_LABELS_JA = {
    "seasonal_naive": "季節ナイーブ",
    "moving_average": "移動平均",
    "mstl": "MSTL",
    "lightgbm": "LightGBM",
    "oracle": "オラクル (真の強度)",
}


def model_label(model: str) -> str:
    """The Japanese name of a model (its code name when unknown)."""
    return MODEL_LABELS_JA.get(model, model)


def plot_forecast_vs_actual(predictions: pd.DataFrame, horizon: int) -> Any:
    """Total over all zones per step in the last fold: actual vs each model's forecast."""
    plt = setup()
    part = predictions[(predictions["horizon"] == horizon) & (predictions["fold"] == predictions["fold"].max())]
    totals = part.groupby(["model", "ds"], sort=True)[["y", "yhat"]].sum().reset_index()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    actual = totals[totals["model"] == totals["model"].iloc[0]]
    ax.plot(actual["ds"], actual["y"], color="black", linewidth=1.6, label="実績")
    for model, rows in totals.groupby("model", sort=True):
        ax.plot(rows["ds"], rows["yhat"], linewidth=1.0, label=model_label(model))
    ax.set_title(f"予測と実績 (全ゾーン合計、最終フォールド、{horizon} ステップ先まで)")
    ax.set_xlabel("日時")
    ax.set_ylabel("リクエスト数 (件/時)")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.autofmt_xdate()
    return fig


def plot_residuals_by_hour(predictions: pd.DataFrame, horizon: int, model: str = "lightgbm") -> Any:
    """Box plot of residuals (actual − forecast) by hour of day for one model."""
    plt = setup()
    part = predictions[(predictions["horizon"] == horizon) & (predictions["model"] == model)]
    resid = part["y"] - part["yhat"]
    hours = part["ds"].dt.hour
    data = [resid[hours == h].to_numpy() for h in range(24)]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.boxplot(data, positions=list(range(24)), showfliers=False)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_title(f"時間帯別の残差 ({model_label(model)}、{horizon} ステップ先、全フォールド)")
    ax.set_xlabel("時刻 (時)")
    ax.set_ylabel("残差 = 実績 − 予測 (件/時)")
    return fig


def plot_feature_importance(importance: pd.DataFrame, top: int = 20) -> Any:
    """Horizontal bars of LightGBM gain share for the ``top`` features."""
    plt = setup()
    head = importance.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(head) + 1.5))
    ax.barh(head["feature"], head["gain_share"])
    ax.set_title("LightGBM の特徴量重要度 (ゲインの割合)")
    ax.set_xlabel("ゲインの割合")
    return fig
