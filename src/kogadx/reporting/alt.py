"""Alt text for the report figures: one or two sentences that say what the figure shows.

A screen reader (or a printed page whose image failed) gets the reading of the figure — its
largest, smallest or turning values — not the caption again. Every sentence is computed from
the table or metric the figure is drawn from, so it changes when the data changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from kogadx.demand.plots import feature_label
from kogadx.mobility.policies import policy_label
from kogadx.reporting.blocks import fmt_int, fmt_num, fmt_pct
from kogadx.wellbeing.compare import CITY


def _month(ym: str) -> str:
    year, month = str(ym)[:7].split("-")
    return f"{int(year)} 年 {int(month)} 月"


# ------------------------------------------------------------------ CO2
def co2_monthly(monthly: pd.DataFrame, fuel_labels: Mapping[str, str]) -> str:
    """``monthly``: year_month, fuel, t_co2 (sum over the businesses)."""
    by_month = monthly.groupby("year_month")["t_co2"].sum().sort_index()
    by_fuel = monthly.groupby("fuel")["t_co2"].sum().sort_values(ascending=False)
    top = str(by_fuel.index[0])
    return (f"月ごとの排出量をエネルギー源別に積み上げた棒グラフです ({_month(by_month.index[0])}〜"
            f"{_month(by_month.index[-1])})。最も多い月は {_month(by_month.idxmax())} の "
            f"{fmt_int(by_month.max())} t-CO2、"
            f"最も少ない月は {_month(by_month.idxmin())} の {fmt_int(by_month.min())} t-CO2 で、"
            f"全期間の {fmt_pct(by_fuel.iloc[0] / by_fuel.sum(), 0)} を{fuel_labels.get(top, top)}が占めます。")


def co2_yoy(city_yoy: pd.DataFrame) -> str:
    """``city_yoy``: fiscal_year, t_co2, t_co2_normalised (sums)."""
    first, last = city_yoy.sort_values("fiscal_year").iloc[[0, -1]].itertuples(index=False)
    change = (last.t_co2_normalised - first.t_co2_normalised) / first.t_co2_normalised
    return (f"年度ごとの実績と気象補正後の排出量を並べた棒グラフです。気象補正後は {first.fiscal_year} 年度の "
            f"{fmt_int(first.t_co2_normalised)} t-CO2 から {last.fiscal_year} 年度の {fmt_int(last.t_co2_normalised)} "
            f"t-CO2 へ {fmt_pct(abs(change), 1)} {'減り' if change < 0 else '増え'}ました。")


def co2_waterfall(scenarios: pd.DataFrame) -> str:
    """``scenarios``: order, label, t_co2 (row 0 is today's total, the others are changes)."""
    rows = scenarios.sort_values("order")
    base = float(rows["t_co2"].iloc[0])
    # the last row of the stage's table is the total after all measures ("after"), not a step
    steps = rows.iloc[1:]
    if "step" in steps:
        steps = steps[steps["step"] != "after"]
    biggest = steps.loc[steps["t_co2"].idxmin()]
    after = base + float(steps["t_co2"].sum())
    return (f"現状の {fmt_int(base)} t-CO2/年から、削減策を一つずつ重ねたときの減り方を示す滝グラフです。"
            f"最も大きいのは「{biggest['label']}」の {fmt_int(-float(biggest['t_co2']))} t-CO2/年で、"
            f"すべて重ねると {fmt_int(after)} t-CO2/年になります (基礎排出係数)。")


# ------------------------------------------------------------------ counter
def counter_heatmap(cells: pd.DataFrame) -> str:
    """``cells``: date, hour, mean (forecast arrivals per hour)."""
    peak = cells.loc[cells["mean"].idxmax()]
    day = pd.Timestamp(peak["date"])
    return (f"窓口の日 (縦) と時刻 (横) ごとの予測来庁数を色の濃さで示した図です。最も混むのは "
            f"{day.month} 月 {day.day} 日の {int(peak['hour'])} 時台で、1 時間に約 {fmt_num(peak['mean'], 0)} 人です。")


def counter_waits(scenarios: pd.DataFrame, target_min: float) -> str:
    """``scenarios``: scenario, p90_wait_min, staff_hours."""
    low = scenarios.loc[scenarios["staff_hours"].idxmin()]
    high = scenarios.loc[scenarios["staff_hours"].idxmax()]
    over = scenarios[scenarios["p90_wait_min"] > target_min]
    return (f"シナリオごとの待ち時間の 90% 点と延べ職員時間を並べた図です。職員時間は「{high['scenario']}」の "
            f"{fmt_int(high['staff_hours'])} 人時から「{low['scenario']}」の {fmt_int(low['staff_hours'])} 人時まで、"
            f"待ちの 90% 点が目標の {fmt_num(target_min, 0)} 分を超えるシナリオは "
            f"{'なし' if over.empty else '、'.join(map(str, over['scenario'])) + ' '}です。")


# ------------------------------------------------------------------ well-being
def wellbeing_map(classes: Mapping[str, int], label: str) -> str:
    """``classes``: counts of districts per class (higher, holds, lower, withheld)."""
    return (f"地区ごとの「{label}」を市全体の値と比べて 3 区分で塗った地図と、地区ごとの区間の図です。"
            f"区間が市全体より高い地区は {classes.get('higher', 0)}、市全体の値を含む地区は {classes.get('holds', 0)}、"
            f"低い地区は {classes.get('lower', 0)}、回答が少なく非表示の地区は {classes.get('withheld', 0)} です。"
            "色は順位ではありません。")


def _shown(indicators: pd.DataFrame) -> pd.DataFrame:
    """Rows the report may speak of: withheld districts (too few respondents) never."""
    if "withheld" not in indicators:
        return indicators
    return indicators[~indicators["withheld"].fillna(False).astype(bool)]


def wellbeing_profile(indicators: pd.DataFrame, districts: Sequence[str], labels: Mapping[str, str]) -> str:
    """``indicators``: district, indicator, mean_eb, ci_low_eb, ci_high_eb (24 categories + city)."""
    city = indicators[indicators["district"] == CITY].set_index("indicator")["mean"]
    parts = []
    for district in districts:
        sub = _shown(indicators)
        sub = sub[(sub["district"] == district) & sub["indicator"].isin(labels)]
        sub = sub.assign(diff=sub["mean_eb"] - sub["indicator"].map(city)).dropna(subset=["diff"])
        if sub.empty:
            continue
        low = sub.loc[sub["diff"].idxmin()]
        parts.append(f"{district}は「{labels[low['indicator']]}」が市全体より {fmt_num(-float(low['diff']), 2)} 点")
    reading = ("各地区で最も低い分野は、" + "、".join(parts) + "低くなっています。") if parts else ""
    return ("選んだ地区ごとに 24 分野の平均を区間つきの点で、市全体の値を縦線で示した図です。" + reading)


def wellbeing_heatmap(indicators: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """District × category differences from the city value; the largest cells named."""
    city = indicators[indicators["district"] == CITY].set_index("indicator")["mean"]
    sub = _shown(indicators)
    sub = sub[(sub["district"] != CITY) & sub["indicator"].isin(labels)]
    sub = sub.assign(diff=sub["mean_eb"] - sub["indicator"].map(city)).dropna(subset=["diff"])
    if sub.empty:
        return "地区 × 分野の平均と市全体との差を色で示した図です。表示できる地区がありません。"
    low, high = sub.loc[sub["diff"].idxmin()], sub.loc[sub["diff"].idxmax()]
    return (f"地区 (横) × 分野 (縦) ごとに、市全体との差を青 (高い) と赤 (低い) で示した図です。"
            f"差が最も大きいのは {low['district']}の「{labels[low['indicator']]}」"
            f"({fmt_num(float(low['diff']), 2)} 点) と "
            f"{high['district']}の「{labels[high['indicator']]}」(+{fmt_num(float(high['diff']), 2)} 点) です。")


def wellbeing_drivers(drivers: pd.DataFrame) -> str:
    """``drivers``: item_label, coef_std, coef_ci_low, coef_ci_high."""
    ranked = drivers.sort_values("coef_std", ascending=False)
    top = ranked.iloc[:3]
    clear = int((drivers["coef_ci_low"] > 0).sum())
    return (f"24 分野それぞれと幸福度の関係の強さを、区間つきの点で示した図です (左: 線形モデル、右: LightGBM)。"
            f"線形モデルで最も強いのは「{'」「'.join(top['item_label'])}」で、区間が 0 より上にある分野は "
            f"{clear} です。関係であって原因ではありません。")


# ------------------------------------------------------------------ のるーと
def norute_monthly(monthly: pd.DataFrame) -> str:
    """``monthly``: month, requests, unserved_share (monthly_kpis)."""
    busiest = monthly.loc[monthly["requests"].idxmax()]
    return (f"月ごとの予約件数を結果 (完了・配車不可・キャンセルなど) で積み上げた棒グラフです "
            f"({_month(monthly['month'].iloc[0])}〜{_month(monthly['month'].iloc[-1])})。最も多い月は "
            f"{_month(busiest['month'])} の {fmt_int(busiest['requests'])} 件です。")


def norute_hourly(profile: pd.DataFrame) -> str:
    """``profile``: day_type, hour, mean_requests."""
    parts = []
    for day_type, part in profile.groupby("day_type", sort=True):
        peak = part.loc[part["mean_requests"].idxmax()]
        parts.append(f"{day_type}が {int(peak['hour'])} 時台 (平均 {fmt_num(peak['mean_requests'], 1)} 件)")
    return ("時刻ごとの平均予約件数を平日と土日祝で比べた折れ線グラフです。最も多い時間帯は、"
            + "、".join(parts) + " です。")


def demand_figure(stem: str, demand: Mapping[str, Any]) -> str:
    """The forecast stage's figures, read from metrics/demand.json."""
    short = min(demand["backtest"], key=lambda h: int(h[1:]))
    bt = demand["backtest"][short]["lightgbm"]
    if stem == "forecast_vs_actual":
        return ("最後の起点からの各方法の予測 (色の線) と実際の予約件数 (黒い線、全区域の合計) を時刻順に"
                "重ねた図です。"
                f"{short[1:]} 時間先の予測の 1 日合計の誤差は {fmt_pct(bt['total_by_day']['wape'])} (WAPE) です。")
    if stem == "residuals_by_hour":
        interval = bt["interval"]
        return (f"時刻ごとの予測の外れ (実績 − 予測) のばらつきを箱ひげで示した図です (運行時間内)。"
                f"80% 区間が実績を含んだ割合は全体で {fmt_pct(interval['coverage'])}"
                + (f"、最も低い時間帯で {fmt_pct(interval['min_band_coverage'])}" if interval.get("min_band_coverage")
                   is not None else "") + " です。")
    if stem == "feature_importance":
        top = (demand.get("top_features") or [])[:2]
        named = "と".join(f"「{feature_label(t['feature'])}」({fmt_pct(t['gain_share'], 0)})" for t in top)
        return "予測に効いている要因を寄与の大きい順に並べた棒グラフです。" + (f"上位は{named}です。" if top else "")
    return "需要予測の補足図です。"


def dispatch_figure(stem: str, dispatch: Mapping[str, Any]) -> str:
    """The dispatch stage's figures, read from metrics/dispatch.json."""
    fleet = dispatch.get("default_fleet", {})
    n = fleet.get("n_vehicles")
    if stem == "kpi_by_policy":
        policies = fleet.get("policies", {})
        best = min(policies, key=lambda p: policies[p]["wait_mean_min"]) if policies else None
        if best is None:
            return "再配置の方針ごとの指標を並べた図です。"
        return (f"再配置の方針ごとに平均待ち時間・走行距離などを並べた棒グラフです (車両 {n} 台)。"
                "平均待ちが最も短いのは"
                f"「{policy_label(best)}」の {fmt_num(policies[best]['wait_mean_min'], 2)} 分です。")
    if stem in {"wait_vs_fleet", "served_vs_fleet"}:
        rows = [r for r in dispatch.get("what_if", [])
                if r.get("policy") == "none" and float(r["demand_factor"]) == 1.0]
        if not rows:
            return "車両の台数ごとの結果を示した図です。"
        few = min(rows, key=lambda r: int(r["n_vehicles"]))
        many = max(rows, key=lambda r: int(r["n_vehicles"]))
        key, unit = (("wait_mean_min", "平均待ち時間"), "分") if stem == "wait_vs_fleet" else \
            (("served_rate", "乗車できた割合"), "")
        show = (lambda v: f"{fmt_num(v, 2)} 分") if unit else fmt_pct  # noqa: E731
        return (f"車両の台数を横軸に{key[1]}を示した折れ線グラフです。需要が実績どおりのとき、"
                f"{few['n_vehicles']} 台で {show(few[key[0]])}、{many['n_vehicles']} 台で {show(many[key[0]])}です。")
    if stem == "grid":
        rows = (dispatch.get("grid") or {}).get("rows", [])
        below = [r for r in rows if float(r["served_rate"]) < 0.95]
        worst = min(rows, key=lambda r: float(r["served_rate"])) if rows else None
        text = "車両の台数 × 需要の倍率ごとに、乗車できた割合と「すぐ乗りたい」予約の平均待ちを示した表の図です。"
        if worst is not None:
            text += (f"乗車できた割合が 95% を下回る組み合わせは {len(below)} で、最も低いのは需要 "
                     f"{float(worst['demand_factor']):g} 倍・{worst['n_vehicles']} 台の "
                     f"{fmt_pct(worst['served_rate'])} です。")
        return text
    if stem == "frontier":
        frontier = dispatch.get("frontier") or {}
        points = frontier.get("points", [])
        if not points:
            return "空いた車両を動かす重みごとの平均待ち時間と空車の走行距離を示した図です。"
        first, last = points[0], points[-1]
        return (f"空いた車両を動かす重みを変えたときの、平均待ち時間 (縦) と空車の走行距離 (横) の図です。"
                f"重み {float(first['move_weight']):g} では空車 {fmt_int(first['empty_km'])} km・待ち "
                f"{fmt_num(first['wait_mean_min'], 2)} 分、重み {float(last['move_weight']):g} では空車 "
                f"{fmt_int(last['empty_km'])} km・待ち {fmt_num(last['wait_mean_min'], 2)} 分です。")
    if stem == "replications":
        paired = ((dispatch.get("replications") or {}).get("paired") or {}).get("forecast_vs_none")
        if not paired:
            return "再配置なしとの平均待ち時間の差を示した図です。"
        return (f"方針ごとに、再配置なしとの平均待ち時間の差を 95% 区間つきで示した図です。予測に基づく再配置は "
                f"{fmt_num(paired['wait_mean_diff_min'], 2)} 分 (区間 {fmt_num(paired['ci95_low'], 2)}〜"
                f"{fmt_num(paired['ci95_high'], 2)} 分) です。")
    if stem == "route_map":
        route = dispatch.get("route_map", {})
        day = pd.Timestamp(route["day"]) if route.get("day") else None
        when = f"{day.year} 年 {day.month} 月 {day.day} 日" if day is not None else "再現した日"
        return (f"{when}に各車両が走った経路を、停留所間を直線で結んで色分けした地図です"
                f" (車両 {n} 台)。")
    return "配車シミュレーションの補足図です。"


def stop_map(pairs: pd.DataFrame, n_stops: int) -> str:
    """``pairs``: o_stop_name, d_stop_name, trips (busiest completed OD pairs)."""
    if pairs.empty:
        return f"{n_stops} か所の乗降地点を町丁目の境界の上に点で示した地図です。"
    top = pairs.iloc[0]
    return (f"{n_stops} か所の乗降地点を点で、利用の多い {len(pairs)} 区間を太さの違う線で示した地図です。"
            f"最も多いのは {top['o_stop_name']} → {top['d_stop_name']} の {fmt_int(top['trips'])} 回です。")


# ------------------------------------------------------------------ regulation
def recall_curve(cv: Mapping[str, Any]) -> str:
    """Recall against the share of clauses read, model and keywords."""
    model, kw = cv["model"], cv["keywords"]
    return ("並べた順に上から読む条項の割合 (横、対数目盛) と、該当する条項のうち見つかる割合 (縦) の"
            "折れ線グラフです。"
            f"上位 {fmt_pct(cv['budget'], 0)} を読むと、判定モデルで {fmt_pct(model['recall_at_budget'], 0)}、"
            f"キーワードの数で並べると {fmt_pct(kw['recall_at_budget'], 0)} が見つかります。")
