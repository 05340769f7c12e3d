"""Self-check functions for the PBL exercises: 正解 / 不正解 with a hint, never the answer.

Each ``check_*`` function computes the right answer itself — from the data passed in, or
from the pipeline's outputs through :mod:`kogadx.pbl.data` — compares, prints one line
starting with ``✅ 正解`` or ``❌ 不正解`` (plus a hint that does not contain the right
value), and returns ``True`` / ``False``. It never raises: a wrong type or a missing
answer (``None``) is just another wrong answer with a hint.
"""

from __future__ import annotations

import functools
import math
import shlex
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "check_secure_dirs",
    "check_row_count",
    "check_pseudonym_columns",
    "check_k_anonymity",
    "check_l_diversity",
    "check_peak_hour",
    "check_busiest_stop",
    "check_completion_rate",
    "check_seasonal_lag",
    "check_wape",
    "check_served_rate",
    "check_fleet_needed",
    "check_emissions",
    "check_degree_days",
    "check_cv_rmse",
    "check_weighted_mean",
    "check_effective_sample_size",
    "check_utilisation",
    "check_erlang_c_wait",
    "check_counters_needed",
    "check_stage_for_param",
    "check_exp_run_command",
]

OK = "✅ 正解です！"
NG = "❌ 不正解です。"
UNANSWERED = "まだ答えが入っていません (None のままです)。`answer = ...` の行を書き換えてください。"


def _report(ok: bool, hint: str = "") -> bool:
    if ok:
        print(OK)
    else:
        print(f"{NG} ヒント: {hint}" if hint else NG)
    return bool(ok)


def _never_raise(func: Callable[..., bool]) -> Callable[..., bool]:
    """A check that meets an unexpected error reports it as a wrong answer instead of raising."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> bool:
        if args and args[0] is None:
            return _report(False, UNANSWERED)
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a check must never stop a student's notebook
            return _report(False, f"答えを確かめられませんでした ({type(exc).__name__}: {exc})。"
                                  "答えの型 (数値・文字列・リスト) と、渡したデータを確認してください。")

    return wrapper


def _as_float(value: Any) -> float | None:
    try:
        if isinstance(value, bool):
            return None
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _close(value: float, right: float, rel: float = 1e-3, abs_tol: float = 1e-9) -> bool:
    return math.isclose(value, right, rel_tol=rel, abs_tol=abs_tol)


def _numeric_hint(value: float, right: float, what: str, share: bool = False) -> str:
    if share and right != 0 and _close(value, right * 100, rel=1e-2):
        return f"{what}は割合 (0〜1) で答えます。百分率 (%) になっていませんか？"
    if right != 0 and _close(abs(value), abs(right), rel=1e-2) and np.sign(value) != np.sign(right):
        return f"{what}の符号を確認してください。"
    direction = "大きすぎます" if value > right else "小さすぎます"
    return f"{what}が{direction}。計算の分子と分母 (どの行を数えるか) を確認してください。"


# --------------------------------------------------------------------------- 00 environment


@_never_raise
def check_secure_dirs(answer: Iterable[str]) -> bool:
    """Exercise 00: list the folders of the secure zone (personal data never leaves them)."""
    from kogadx.paths import SECURE_DIRS

    if isinstance(answer, str):
        return _report(False, "フォルダ名のリスト (例: [\"data/xxx\", ...]) で答えてください。")
    given = {str(a).strip().rstrip("/").replace("\\", "/") for a in answer}
    right = set(SECURE_DIRS)
    if given == right:
        return _report(True)
    if given - right:
        return _report(False, "共有ゾーン (大学と共有してよい) のフォルダ、または存在しないフォルダが混ざっています。"
                              "README.md の表と CONTRIBUTING.md の「Zones」を見直しましょう。")
    return _report(False, "まだ足りないフォルダがあります。生データ・検証済みデータ・生成の真値・削除情報等の"
                          "置き場所をすべて挙げましょう。")


@_never_raise
def check_row_count(answer: int, table: str = "ride_requests", root: Path | None = None) -> bool:
    """Exercise 00: the number of rows of a pseudonymized table (``data/pseudonymized/<table>``)."""
    from kogadx.pbl.data import read_table

    right = len(read_table(f"data/pseudonymized/{table}.parquet", root=root))
    value = _as_float(answer)
    if value is None:
        return _report(False, "行数は整数で答えます (len(df) や df.shape を使いましょう)。")
    if value == right:
        return _report(True)
    return _report(False, f"{table} の行数と合いません。列数ではなく行数ですか？"
                          "フィルタをかけた後の表ではなく、読み込んだままの表を数えましょう。")


# --------------------------------------------------------------------------- 01 privacy


@_never_raise
def check_pseudonym_columns(answer: Iterable[str], table: str = "residents") -> bool:
    """Exercise 01: which output columns of ``table`` hold keyed pseudonyms (仮ID)?

    The right answer comes from the project's pseudonymization policy (policy.yaml).
    """
    from kogadx.privacy.policy import load_policy

    if isinstance(answer, str):
        answer = [answer]
    rules = load_policy().table(table).rules.values()
    right = {r.output or r.column for r in rules if r.action == "pseudonym"}
    given = {str(a).strip() for a in answer}
    if given == right:
        return _report(True)
    if given - right:
        return _report(False, "仮IDではない列が含まれています。年齢や町丁目は「一般化」や「そのまま」の列です。"
                              "src/kogadx/privacy/policy.yaml の action を見てみましょう。")
    return _report(False, "仮IDの列がまだあります。人だけでなく、世帯など「台帳と照合できる番号」も仮IDになります。")


@_never_raise
def check_k_anonymity(k_value: int, df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> bool:
    """Exercise 01: k of ``df`` for the given quasi-identifiers (smallest equivalence class)."""
    from kogadx.privacy.anonymity import k_anonymity

    right = k_anonymity(df, list(quasi_identifiers))
    value = _as_float(k_value)
    if value is None:
        return _report(False, "k は整数で答えます。")
    if value == right:
        return _report(True)
    if value > right:
        return _report(False, "k は同じ準識別子の組み合わせを持つグループの「最小」の大きさです。"
                              "平均や最大になっていませんか？ groupby(...).size() の結果の最小値を見ましょう。")
    return _report(False, "小さすぎます。グループ分けに準識別子以外の列 (ID など) を使っていませんか？")


@_never_raise
def check_l_diversity(l_value: int, df: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str) -> bool:
    """Exercise 01: distinct l-diversity of ``df`` (smallest number of distinct sensitive values)."""
    from kogadx.privacy.anonymity import l_diversity

    right = l_diversity(df, list(quasi_identifiers), sensitive)
    value = _as_float(l_value)
    if value is None:
        return _report(False, "l は整数で答えます。")
    if value == right:
        return _report(True)
    return _report(False, "l は各グループの中の機微属性の「種類の数」(nunique) の最小値です。"
                          "行数 (size) と取り違えていないか確認しましょう。")


# --------------------------------------------------------------------------- 02 demand EDA


def _pickup_hours(ride_requests: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(ride_requests["desired_pickup_at"]).dt.hour


@_never_raise
def check_peak_hour(hour: int, ride_requests: pd.DataFrame) -> bool:
    """Exercise 02: the hour of day (0–23, desired pick-up time) with the most requests."""
    counts = _pickup_hours(ride_requests).value_counts()
    right = set(counts.index[counts == counts.max()].astype(int))  # ties: any of them is right
    value = _as_float(hour)
    if value is None or not 0 <= value <= 23:
        return _report(False, "時 (0〜23 の整数) で答えます。")
    if int(value) in right:
        return _report(True)
    if int(value) in counts.index and counts[int(value)] >= 0.9 * counts.max():
        return _report(False, "惜しい！ほぼ同じ件数の時間帯があります。value_counts() の一番上を確かめましょう。")
    return _report(False, "予約日時 (requested_at) ではなく希望乗車日時 (desired_pickup_at) の「時」で数えていますか？")


@_never_raise
def check_busiest_stop(stop_id: str, ride_requests: pd.DataFrame) -> bool:
    """Exercise 02: the stop_id used most as origin or destination (both ends counted)."""
    both = pd.concat([ride_requests["origin_stop_id"], ride_requests["destination_stop_id"]])
    counts = both.value_counts()
    right = set(counts.index[counts == counts.max()].astype(str))  # ties: any of them is right
    if str(stop_id) in right:
        return _report(True)
    if str(stop_id) in set(ride_requests["origin_stop_id"]):
        return _report(False, "乗車 (origin) と降車 (destination) の両方を合わせて数えましょう (pd.concat)。")
    return _report(False, "stop_id (例: \"S0xx\") の形で、停留所IDを答えてください。")


@_never_raise
def check_completion_rate(rate: float, ride_requests: pd.DataFrame) -> bool:
    """Exercise 02: share (0–1) of requests whose outcome is 完了 (completed)."""
    right = float((ride_requests["outcome"] == "完了").mean())
    value = _as_float(rate)
    if value is None:
        return _report(False, "割合 (0〜1 の小数) で答えます。")
    if _close(value, right, rel=1e-3):
        return _report(True)
    return _report(False, _numeric_hint(value, right, "完了率", share=True))


# --------------------------------------------------------------------------- 03 forecasting


@_never_raise
def check_seasonal_lag(lag: int, horizon: int, freq: str = "h") -> bool:
    """Exercise 03: the seasonal-naive lag (steps) usable ``horizon`` steps ahead."""
    from kogadx.demand.lags import seasonal_lag

    right = seasonal_lag(int(horizon), freq)
    value = _as_float(lag)
    if value is None:
        return _report(False, "ステップ数 (整数) で答えます。")
    if value == right:
        return _report(True)
    if value < horizon:
        return _report(False, "予測の時点では、予測期間 (horizon) より近い過去の値はまだ分かりません (リーク)。")
    return _report(False, "「1週間前の同じ時刻」のうち、予測起点で既に分かっている一番新しいものを使います。"
                          "1週間が何ステップか数えましょう。")


@_never_raise
def check_wape(value: float, y_true: Any, y_pred: Any) -> bool:
    """Exercise 03: WAPE = Σ|予測 − 実績| / Σ実績 (a share, 0.21 = 21 %)."""
    from kogadx.demand.metrics import point_metrics

    right = point_metrics(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))["wape"]
    if math.isnan(right):
        return _report(False, "評価期間の実績の合計が 0 件なので、WAPE は計算できません (期間を広げてください)。")
    number = _as_float(value)
    if number is None:
        return _report(False, "WAPE は小数 (割合) で答えます。")
    if _close(number, right, rel=1e-4):
        return _report(True)
    a = np.asarray(y_true, dtype=float)
    f = np.clip(np.asarray(y_pred, dtype=float), 0, None)
    if a.sum() > 0 and _close(number, float(np.mean(np.abs(f - a))), rel=1e-4):
        return _report(False, "それは MAE (平均絶対誤差) です。WAPE は誤差の合計を実績の合計で割ります。")
    return _report(False, _numeric_hint(number, right, "WAPE", share=True))


# --------------------------------------------------------------------------- 04 dispatch


def _kpis(result: Any) -> dict[str, Any]:
    return result.kpis if hasattr(result, "kpis") else dict(result)


@_never_raise
def check_served_rate(rate: float, trips: pd.DataFrame) -> bool:
    """Exercise 04: share (0–1) of simulated requests that were served (status == "served")."""
    right = float((trips["status"] == "served").mean())
    value = _as_float(rate)
    if value is None:
        return _report(False, "割合 (0〜1 の小数) で答えます。")
    if _close(value, right, rel=1e-3):
        return _report(True)
    if _close(value, 1 - right, rel=1e-3):
        return _report(False, "それは断られた割合 (rejection) です。")
    return _report(False, _numeric_hint(value, right, "運べた割合", share=True))


@_never_raise
def check_fleet_needed(n_vehicles: int, scenarios: pd.DataFrame, max_rejection_rate: float,
                       demand_factor: float = 1.0, policy: str = "none") -> bool:
    """Exercise 04: the smallest fleet in the what-if table whose rejection rate ≤ the target."""
    table = scenarios[(scenarios["demand_factor"] == demand_factor) & (scenarios["policy"] == policy)]
    ok = table.loc[table["rejection_rate"] <= max_rejection_rate, "n_vehicles"]
    value = _as_float(n_vehicles)
    if value is None:
        return _report(False, "台数 (整数) で答えます。")
    if ok.empty:
        if value == 0 or value > table["n_vehicles"].max():
            return _report(True)
        return _report(False, "この表のどの台数でも目標を満たしていません。表にない台数が必要です。")
    right = int(ok.min())
    if int(value) == right:
        return _report(True)
    if int(value) in set(ok):
        return _report(False, "目標は満たしますが、もっと少ない台数でも満たせます (費用も考えましょう)。")
    return _report(False, "その台数では断られる割合が目標を超えます。表の rejection_rate を見直しましょう。")


@_never_raise
def check_wait_change(minutes: float, base_trips: pd.DataFrame, new_trips: pd.DataFrame) -> bool:
    """Exercise 04: change in mean wait (minutes) of served requests, new policy − base policy."""
    def mean_wait(trips: pd.DataFrame) -> float:
        served = trips[trips["status"] == "served"]
        return float(served["wait_min"].mean())

    right = mean_wait(new_trips) - mean_wait(base_trips)
    value = _as_float(minutes)
    if value is None:
        return _report(False, "分 (小数) で答えます。短くなったならマイナスです。")
    if _close(value, right, rel=1e-3) or abs(value - right) < 1e-6:
        return _report(True)
    if _close(value, -right, rel=1e-3):
        return _report(False, "引く順番が逆です。「先回りあり − 先回りなし」で、短くなったならマイナスになります。")
    if _close(value, right * 60, rel=1e-3):
        return _report(False, "単位は分です。秒になっていませんか？")
    every = float(new_trips["wait_min"].fillna(0).mean() - base_trips["wait_min"].fillna(0).mean())
    if _close(value, every, rel=1e-3):
        return _report(False, "断られた予約 (wait_min が空) まで 0 分として平均していませんか？"
                              "運べた予約だけで平均します。")
    return _report(False, _numeric_hint(value, right, "待ち時間の変化"))


# --------------------------------------------------------------------------- 05 CO2


@_never_raise
def check_emissions(t_co2: float, amount: float, fuel: str, fiscal_year: int = 2023,
                    electricity_basis: str = "basic") -> bool:
    """Exercise 05: t-CO2 of ``amount`` (native unit: kWh, m3, kg, L) of ``fuel`` in a fiscal year."""
    from kogadx.energy.emissions import compute_emissions
    from kogadx.energy.factors import load_emission_factors, select_emission_factors

    factors = select_emission_factors(load_emission_factors(), int(fiscal_year), electricity_basis)
    row = pd.DataFrame({"business_id": ["x"], "year_month": [f"{int(fiscal_year)}-04"], "fuel": [fuel],
                        "value": [float(amount)]})
    right = float(compute_emissions(row, factors)["t_co2"].iloc[0])
    value = _as_float(t_co2)
    if value is None:
        return _report(False, "t-CO2 (数値) で答えます。")
    if _close(value, right, rel=1e-3):
        return _report(True)
    if right and (_close(value, right * 1000, rel=1e-3) or _close(value, right / 1000, rel=1e-3)):
        return _report(False, "単位の換算を確認しましょう: 係数は kL・千m3・t あたり、使用量は L・m3・kg です。"
                              "kg-CO2 と t-CO2 の取り違えもよくあります。")
    return _report(False, "係数表 (select_emission_factors) から、その年度・その燃料の係数を選んでいますか？"
                          " 電力は基礎排出係数 (basic) と調整後 (adjusted) で値が違います。")


@_never_raise
def check_degree_days(cdd: float, hdd: float, weather: pd.DataFrame, year_month: str,
                      base_cooling: float = 22.0, base_heating: float = 14.0) -> bool:
    """Exercise 05: cooling and heating degree days (°C·day) of one month, from hourly weather."""
    from kogadx.energy.weather import degree_days

    table = degree_days(weather, base_cooling, base_heating).set_index("year_month")
    right = table.loc[str(year_month)]
    c, h = _as_float(cdd), _as_float(hdd)
    if c is None or h is None:
        return _report(False, "CDD と HDD を数値で渡してください。")
    ok_c = _close(c, float(right["cdd"]), rel=1e-3, abs_tol=1e-6)
    ok_h = _close(h, float(right["hdd"]), rel=1e-3, abs_tol=1e-6)
    if ok_c and ok_h:
        return _report(True)
    which = "冷房度日 (CDD)" if not ok_c else "暖房度日 (HDD)"
    return _report(False, f"{which}が合いません。毎時の気温をまず「日平均」にしてから基準温度との差をとり、"
                          "マイナスは 0 にして月で合計します。")


@_never_raise
def check_cv_rmse(value: float, y: Any, y_hat: Any, n_params: int) -> bool:
    """Exercise 05: CV(RMSE) of a baseline (ASHRAE Guideline 14, n − p in the denominator)."""
    from kogadx.energy.baseline import goodness_of_fit

    right, _ = goodness_of_fit(np.asarray(y, float), np.asarray(y_hat, float), int(n_params))
    number = _as_float(value)
    if number is None:
        return _report(False, "CV(RMSE) は割合 (小数) で答えます。")
    if _close(number, right, rel=1e-3):
        return _report(True)
    y_arr, f_arr = np.asarray(y, float), np.asarray(y_hat, float)
    plain = float(np.sqrt(np.mean((y_arr - f_arr) ** 2)) / np.mean(y_arr))
    if _close(number, plain, rel=1e-4):
        return _report(False, "Guideline 14 では二乗誤差の和を n ではなく (n − p) で割ります。")
    return _report(False, _numeric_hint(number, right, "CV(RMSE)", share=True))


# --------------------------------------------------------------------------- 06 well-being


@_never_raise
def check_weighted_mean(value: float, values: Any, weights: Any) -> bool:
    """Exercise 06: the survey-weighted mean Σ w·x / Σ w (answers missing → left out)."""
    x = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(float)
    w = np.asarray(weights, float)
    ok = ~np.isnan(x)
    right = float(np.sum(w[ok] * x[ok]) / np.sum(w[ok]))
    number = _as_float(value)
    if number is None:
        return _report(False, "平均値 (数値) で答えます。")
    if _close(number, right, rel=1e-4):
        return _report(True)
    if _close(number, float(np.nanmean(x)), rel=1e-6):
        return _report(False, "それは重みなしの平均です。"
                              "回答者ごとのウエイトを掛けて合計し、ウエイトの合計で割りましょう。")
    return _report(False, "無回答 (欠損) の人は分子だけでなく分母 (ウエイトの合計) からも除きます。")


@_never_raise
def check_effective_sample_size(value: float, weights: Any) -> bool:
    """Exercise 06: Kish's effective sample size n_eff = (Σw)² / Σw²."""
    w = np.asarray(weights, float)
    right = float(w.sum() ** 2 / np.sum(w**2))
    number = _as_float(value)
    if number is None:
        return _report(False, "人数 (小数でよい) で答えます。")
    if _close(number, right, rel=1e-4):
        return _report(True)
    if number >= len(w):
        return _report(False, "ウエイトがばらつくと、実効サンプルサイズは回答者数より「小さく」なります。")
    return _report(False, "Kish の式: (ウエイトの合計)² ÷ (ウエイトの二乗の合計) です。")


# --------------------------------------------------------------------------- 08 counter queue


@_never_raise
def check_utilisation(value: float, rate_per_hour: float, service_min: float, servers: int) -> bool:
    """Exercise 08: utilisation ρ = λ × service / (60 × counters), a share."""
    right = rate_per_hour * service_min / (60.0 * servers)
    number = _as_float(value)
    if number is None:
        return _report(False, "割合 (0〜1 の数値) で答えます。")
    if _close(number, right, rel=1e-3):
        return _report(True)
    if _close(number, right * servers, rel=1e-3):
        return _report(False, "窓口が複数あるときは、負荷 (アーラン) を窓口数で割ります。")
    if _close(number, rate_per_hour * service_min / servers, rel=1e-3):
        return _report(False, "到着率は「1時間あたり」、処理時間は「分」です。単位をそろえましょう (1時間 = 60分)。")
    return _report(False, _numeric_hint(number, right, "稼働率", share=True))


@_never_raise
def check_erlang_c_wait(value: float, rate_per_hour: float, service_min: float, servers: int) -> bool:
    """Exercise 08: mean wait in minutes of M/M/c, Wq = C(c, a) / (cμ − λ)."""
    from kogadx.counter.queue import erlang_c_figures

    right = erlang_c_figures(rate_per_hour, service_min, servers).mean_wait_min
    number = _as_float(value)
    if number is None:
        return _report(False, "待ち時間 (分、数値) で答えます。")
    if _close(number, right, rel=1e-3):
        return _report(True)
    if _close(number, right / 60.0, rel=1e-3):
        return _report(False, "時間単位になっていませんか？ 分で答えます。")
    return _report(False, "待つ確率 C(c, a) を、窓口全体の処理能力と到着率の差 (cμ − λ、1分あたり) で割ります。")


@_never_raise
def check_counters_needed(value: int, rate_per_hour: float, service_min: float, target_min: float) -> bool:
    """Exercise 08: the fewest counters whose Erlang C 90th-percentile wait is at most the target."""
    from kogadx.counter.queue import servers_for_target

    right = servers_for_target(rate_per_hour, service_min, target_min)
    number = _as_float(value)
    if number is None or number != int(number):
        return _report(False, "窓口の数 (整数) で答えます。")
    if int(number) == right:
        return _report(True)
    if int(number) < right:
        return _report(False, "その窓口数では 90% 点の待ち時間が目標を超えます (または行列が伸び続けます)。")
    return _report(False, "目標は満たしますが、もっと少ない窓口数でも満たせます。「最も少ない」数を探しましょう。")


# --------------------------------------------------------------------------- 07 pipeline


def _dvc_stages(root: Path | None) -> dict[str, Any]:
    import yaml

    from kogadx.paths import find_project_root

    root = Path(root) if root is not None else find_project_root()
    data = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8")) or {}
    return data.get("stages", {})


def _stages_reading(param_key: str, stages: dict[str, Any]) -> set[str]:
    """Stages whose ``params`` list the key itself or a section containing it."""
    out = set()
    for name, stage in stages.items():
        keys: list[str] = []
        for entry in stage.get("params", []) or []:
            if isinstance(entry, str):
                keys.append(entry)
            elif isinstance(entry, dict):  # {"other_params.yaml": [key, ...]}
                for listed in entry.values():
                    keys.extend(str(k) for k in listed or [])
        if any(param_key == key or param_key.startswith(f"{key}.") for key in keys):
            out.add(name)
    return out


@_never_raise
def check_stage_for_param(stage: str, param_key: str, root: Path | None = None) -> bool:
    """Exercise 07: which stage of dvc.yaml declares ``param_key`` (so re-runs when it changes)?"""
    stages = _dvc_stages(root)
    right = _stages_reading(param_key, stages)
    if not right:
        return _report(False, f"{param_key} を読むステージが dvc.yaml に見つかりません。キーの綴りを確認しましょう。")
    if str(stage) in right:
        return _report(True)
    if str(stage) not in stages:
        return _report(False, "dvc.yaml にないステージ名です。`dvc dag` または dvc.yaml の stages を見ましょう。")
    return _report(False, "そのステージはこのパラメータを読みません。"
                          "dvc.yaml の各ステージの params: を見比べましょう。 (下流のステージは依存ファイルが"
                          "変わると再実行されますが、パラメータを「読む」のは別のステージです)")


@_never_raise
def check_exp_run_command(command: str, param_key: str, value: Any) -> bool:
    """Exercise 07: a ``dvc exp run`` command that sets ``param_key`` to ``value``."""
    try:
        words = shlex.split(str(command))
    except ValueError:
        return _report(False, "引用符の対応がとれていません。")
    if words[:3] != ["dvc", "exp", "run"]:
        return _report(False, "実験は `dvc exp run` で始めます (`dvc repro` は作業ツリーを上書きします)。")
    settings = [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-S", "--set-param")]
    settings += [w.split("=", 1)[1] for w in words if w.startswith("--set-param=")]
    for setting in settings:
        key, _, given = setting.partition("=")
        if key == param_key:
            if _same_value(given, value):
                return _report(True)
            return _report(False, "パラメータ名は合っていますが、値が違います。")
    if settings:
        return _report(False, "変えるパラメータの名前 (セクション.キー) を確認しましょう。"
                              "params.yaml の階層をドットでつなぎます。")
    return _report(False, "パラメータは `--set-param セクション.キー=値` (短縮形 -S) で渡します。")


def _same_value(text: str, value: Any) -> bool:
    import yaml

    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    if isinstance(value, int | float) and isinstance(parsed, int | float) and not isinstance(parsed, bool):
        return math.isclose(float(parsed), float(value))
    return parsed == value
