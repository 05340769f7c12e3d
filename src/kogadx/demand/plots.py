"""Figures of the forecast stage, with Japanese labels (fonts via ``kogadx.plotting``).

``MODEL_LABELS_JA`` names the models wherever a person reads them (figures, ``dvc plots``
series, the ``kogadx forecast evaluate`` summary).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kogadx.plotting import setup

MODEL_LABELS_JA = {
    "seasonal_naive": "季節ナイーブ (前週の同時刻)",
    "moving_average": "移動平均 (過去4週の同時刻)",
    "historical_average": "曜日×時刻の過去平均",
    "croston_optimized": "クロストン法 (間欠需要)",
    "tsb": "TSB 法 (間欠需要)",
    "adida": "ADIDA (間欠需要)",
    "imapa": "IMAPA (間欠需要)",
    "mstl": "MSTL (季節分解)",
    "autoets": "AutoETS (指数平滑)",
    "lightgbm": "LightGBM",
    "oracle": "真の期待値 λ (参考)",
}

# Feature code names → what a person calls them (figures, the のるーと report).
FEATURE_LABELS_JA = {
    "series_id": "ゾーン", "cal_hour": "時刻", "cal_dayofweek": "曜日", "cal_month": "月",
    "cal_dayofyear": "年内の日", "cal_holiday": "祝日", "cal_holiday_id": "祝日の種類",
    "cal_days_to_holiday": "次の祝日までの日数", "cal_days_since_holiday": "前の祝日からの日数",
    "cal_dayofmonth": "日 (月内)", "cal_weekofyear": "年内の週",
    "hour": "時刻 (パネルの列)", "dow": "曜日 (パネルの列)", "month": "月 (パネルの列)", "is_holiday": "祝日",
    "day_type": "平日/休日の別",
    "is_school_holiday": "学校の長期休み", "is_pension_day": "年金支給日", "is_event": "イベント日",
    "in_service": "運行時間内か", "temperature_c": "気温", "precipitation_mm": "降水量",
    "population": "ゾーン人口", "share_65plus": "65 歳以上の割合", "distance_to_station_m": "駅までの距離",
    "roll_mean_24": "直近 1 日の平均", "roll_mean_168": "直近 1 週の平均",
    "same_step_mean_4w": "過去 4 週の同じ曜日・時刻の平均", "same_step_mean_7d": "過去 7 日の同時刻の平均",
}


def model_label(model: str) -> str:
    """The Japanese name of a model (its code name when unknown)."""
    return MODEL_LABELS_JA.get(model, model)


def feature_label(feature: str) -> str:
    """The Japanese name of a feature (lags: "k 時間前の件数")."""
    if feature.startswith("lag_") and feature[4:].isdigit():
        k = int(feature[4:])
        return f"{k // 24} 日前の同時刻の件数" if k % 24 == 0 else f"{k} 時間前の件数"
    return FEATURE_LABELS_JA.get(feature, feature)


def plot_forecast_vs_actual(predictions: pd.DataFrame, horizon: int) -> Any:
    """Total over all zones per step in the last fold: actual vs each model's forecast."""
    plt = setup()
    shown = ("seasonal_naive", "historical_average", "lightgbm", "oracle")
    part = predictions[(predictions["horizon"] == horizon) & predictions["model"].isin(shown)]
    part = part[part["fold"] == part["fold"].max()]
    totals = part.groupby(["model", "ds"], sort=True)[["y", "yhat"]].sum().reset_index()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    actual = totals[totals["model"] == totals["model"].iloc[0]]
    ax.plot(actual["ds"], actual["y"], color="black", linewidth=1.6, label="実績")
    for model, rows in totals.groupby("model", sort=True):
        ax.plot(rows["ds"], rows["yhat"], linewidth=1.0, label=model_label(model))
    ax.set_title(f"予測と実績 (全区域の合計、最後の起点から {horizon} 時間先まで)")
    ax.set_xlabel("日時")
    ax.set_ylabel("リクエスト数 (件/時)")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.autofmt_xdate()
    return fig


def plot_residuals_by_hour(predictions: pd.DataFrame, horizon: int, model: str = "lightgbm") -> Any:
    """Box plot of residuals (actual − forecast) by hour of day for one model."""
    plt = setup()
    part = predictions[(predictions["horizon"] == horizon) & (predictions["model"] == model)]
    if "scored" in part:
        part = part[part["scored"]]
    resid = part["y"] - part["yhat"]
    hours = part["ds"].dt.hour
    data = [resid[hours == h].to_numpy() for h in range(24)]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.boxplot(data, positions=list(range(24)), showfliers=False)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_title(f"時間帯別の予測の外れ ({model_label(model)}、{horizon} 時間先、運行時間内、全起点)")
    ax.set_xlabel("時刻 (時)")
    ax.set_ylabel("外れ = 実績 − 予測 (件/時)")
    return fig


def plot_feature_importance(importance: pd.DataFrame, top: int = 20) -> Any:
    """Horizontal bars of LightGBM gain share for the ``top`` features."""
    plt = setup()
    head = importance.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(head) + 1.5))
    positions = list(range(len(head)))  # positions, not labels: two features may share a name
    ax.barh(positions, head["gain_share"])
    ax.set_yticks(positions, [feature_label(f) for f in head["feature"]])
    ax.set_title("予測に効いている要因 (LightGBM)")
    ax.set_xlabel("予測への寄与 (ゲインの割合)")
    return fig
