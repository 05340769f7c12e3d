"""Self-check functions for the PBL exercises: 正解 / 不正解 with a hint, never the answer.

Two kinds of check:

- **Computation checks** take the student's *function* (e.g. ``weighted_mean(values,
  weights)``) and run it on data the check draws itself (a few small random tables, seeded)
  and on the notebook's data when it is passed. A value copied from a printed table, or a
  function that returns a constant, cannot pass: the drawn tables have other answers.
- **Reading checks** (which folder, which stage, which columns) take a value; the notebooks
  show the cells that would reveal the answer only *after* the check.

Every check prints one line starting with ``✅ 正解`` or ``❌ 不正解`` (plus a hint that
does not contain the right value) and returns ``True`` / ``False``. It never raises: a wrong
type or a missing answer (``None``) is another wrong answer with a hint, an error inside the
student's function is reported as such, and a problem of the environment (a missing data
file, a library that cannot be imported) is reported as a **setup problem** (``⚠️ 準備``),
not as a wrong answer.
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
    "check_pseudonym_columns",
    "check_k_anonymity",
    "check_l_diversity",
    "check_peak_hour",
    "check_busiest_stop",
    "check_completion_rate",
    "check_seasonal_lag",
    "check_wape",
    "check_leaky_columns",
    "check_served_rate",
    "check_fleet_needed",
    "check_wait_change",
    "check_emissions",
    "check_degree_days",
    "check_cv_rmse",
    "check_weighted_mean",
    "check_effective_sample_size",
    "check_stage_for_param",
    "check_exp_run_command",
    "check_daily_wape",
    "check_coverage",
    "check_balanced",
    "check_inconsistent_rows",
    "check_covered_share",
    "check_zone_of",
    "check_table_shape",
    "check_utilisation_function",
    "check_mean_wait_function",
    "check_counters_function",
    "check_recall_at_budget",
    "check_clauses_to_find",
    "check_expected_recall",
    "check_share_unique",
]

OK = "✅ 正解です！"
NG = "❌ 不正解です。"
SETUP = "⚠️ 準備の問題で確かめられませんでした (あなたの答えが間違いという意味ではありません)。"
UNANSWERED = "まだ答えが入っていません (None のままです)。`answer = ...` や関数の `return` の行を書き換えてください。"
# Errors that come from the environment, not from the answer: a data file the pipeline has not
# written, a folder the helpers refuse to read, a library that is not installed.
SETUP_ERRORS: tuple[type[BaseException], ...] = (OSError, ImportError, MemoryError)
SEED = 20240401  # the drawn tables are the same on every run (a hint can be reproduced)
N_DRAWS = 3


def _report(ok: bool, hint: str = "") -> bool:
    if ok:
        print(OK)
    else:
        print(f"{NG} ヒント: {hint}" if hint else NG)
    return bool(ok)


def _setup_problem(exc: BaseException) -> bool:
    reason = str(exc).rstrip("。")
    print(f"{SETUP} 原因: {type(exc).__name__}: {reason}。データがなければ `dvc pull` または `dvc repro`、"
          "ライブラリがなければ `make install` (Anaconda では `pip install -e .`) のあと、もう一度実行してください。")
    return False


class StudentCodeError(Exception):
    """The student's function raised: reported as a wrong answer with the error, not a setup problem."""


def _call(func: Callable[..., Any], *args: Any) -> Any:
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
        raise StudentCodeError(f"{type(exc).__name__}: {exc}") from exc


def _never_raise(func: Callable[..., bool]) -> Callable[..., bool]:
    """A check that meets an unexpected error reports it (wrong answer, student code or setup)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> bool:
        if args and args[0] is None:
            return _report(False, UNANSWERED)
        try:
            return func(*args, **kwargs)
        except _Unanswered:
            return _report(False, UNANSWERED)
        except StudentCodeError as exc:
            return _report(False, f"あなたの関数がエラーになりました ({exc})。"
                                  "チェックは別の小さな表でも関数を呼びます。列名や型を決め打ちしていませんか？")
        except SETUP_ERRORS as exc:
            return _setup_problem(exc)
        except Exception as exc:  # noqa: BLE001 - a check must never stop a student's notebook
            return _report(False, f"答えを確かめられませんでした ({type(exc).__name__}: {exc})。"
                                  "答えの型 (数値・文字列・リスト・関数) と、渡したデータを確認してください。")

    return wrapper


class _Unanswered(Exception):
    """The student's function still returns None (the template)."""


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


def _rng(k: int) -> np.random.Generator:
    return np.random.default_rng([SEED, k])


def _not_a_function(signature: str) -> bool:
    return _report(False, f"この演習は数値ではなく関数で答えます: `def {signature}: ...` を書き、"
                          "その関数の名前を渡してください (チェックは自分で作った別の表でも計算を確かめます)。")


def _run_cases(func: Any, signature: str, cases: list[tuple[Any, ...]], reference: Callable[..., Any],
               same: Callable[[Any, Any], bool], hint: Callable[[Any, Any, tuple[Any, ...]], str]) -> bool:
    """Run the student's ``func`` on every case (the check's own tables first); the first
    mismatch gets ``hint(got, right, case)``."""
    if not callable(func):
        return _not_a_function(signature)
    for case in cases:
        right = reference(*case)
        got = _call(func, *case)
        if got is None:
            raise _Unanswered
        if not same(got, right):
            return _report(False, hint(got, right, case))
    return _report(True)


def _same_number(rel: float = 1e-4) -> Callable[[Any, Any], bool]:
    def same(got: Any, right: Any) -> bool:
        value = _as_float(got)
        if value is None:
            raise TypeError("数値ではない値が返りました")
        return _close(value, float(right), rel=rel, abs_tol=1e-9)
    return same


def _number_hint(what: str, share: bool = False) -> Callable[[Any, Any, tuple[Any, ...]], str]:
    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        return _numeric_hint(float(got), float(right), what, share=share)
    return hint


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


def _draw_people(k: int, columns: Sequence[str] = ("age", "sex", "town_code"), sensitive: str = "relationship",
                 template: pd.DataFrame | None = None) -> pd.DataFrame:
    """A small register with the given quasi-identifier columns (values from ``template`` when
    given, so a student's function meets familiar values) and a sensitive column."""
    rng = _rng(k)
    n = int(rng.integers(40, 90))
    out = {}
    for col in [*columns, sensitive]:
        if template is not None and col in template.columns and template[col].notna().any():
            pool = pd.unique(template[col].dropna())[:6]
        else:
            pool = np.array([f"{col}_{i}" for i in range(3)], dtype=object)
        pool = np.asarray(pool, dtype=object)
        out[col] = pool[rng.integers(0, max(1, min(len(pool), 2 + k % 3)), n)]
    return pd.DataFrame(out)


@_never_raise
def check_k_anonymity(k_function: Any, df: pd.DataFrame | None = None,
                      quasi_identifiers: Sequence[str] = ("age", "sex", "town_code")) -> bool:
    """Exercise 01: a function ``k_of(df, quasi_identifiers)`` → k (smallest equivalence class).

    Run on tables the check draws and on ``df`` when given.
    """
    from kogadx.privacy.anonymity import k_anonymity

    qi = list(quasi_identifiers)
    cases: list[tuple[Any, ...]] = [(_draw_people(i, qi, template=df), qi) for i in range(N_DRAWS)]
    if df is not None:
        cases.append((df, qi))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        if float(got) > right:
            return ("k は同じ準識別子の組み合わせを持つグループの「最小」の大きさです。"
                    "平均や最大になっていませんか？ groupby(...).size() の結果の最小値を見ましょう。")
        return "小さすぎます。グループ分けに準識別子以外の列 (ID など) を使っていませんか？"

    return _run_cases(k_function, "k_of(df, quasi_identifiers)", cases,
                      lambda d, q: float(k_anonymity(d, list(q))), _same_number(1e-9), hint)


@_never_raise
def check_l_diversity(l_function: Any, df: pd.DataFrame | None = None,
                      quasi_identifiers: Sequence[str] = ("age_band", "sex", "district"),
                      sensitive: str = "relationship") -> bool:
    """Exercise 01: a function ``l_of(df, quasi_identifiers, sensitive)`` → distinct l-diversity."""
    from kogadx.privacy.anonymity import l_diversity

    qi = list(quasi_identifiers)
    cases: list[tuple[Any, ...]] = [(_draw_people(10 + i, qi, sensitive, template=df), qi, sensitive)
                                    for i in range(N_DRAWS)]
    if df is not None:
        cases.append((df, qi, sensitive))
    return _run_cases(
        l_function, "l_of(df, quasi_identifiers, sensitive)", cases,
        lambda d, q, sv: float(l_diversity(d, list(q), sv)), _same_number(1e-9),
        lambda got, right, case: ("l は各グループの中の機微属性の「種類の数」(nunique) の最小値です。"
                                  "行数 (size) と取り違えていないか確認しましょう。"))


def _share_unique_and_k(df: pd.DataFrame, quasi_identifiers: Sequence[str]) -> tuple[float, int]:
    from kogadx.privacy.anonymity import class_sizes

    sizes = class_sizes(df, list(quasi_identifiers))
    n = len(df)
    return (float((sizes == 1).sum() / n) if n else 0.0), (int(sizes.min()) if len(sizes) else 0)


def _draw_records(k: int, columns: Sequence[str], template: pd.DataFrame | None = None) -> pd.DataFrame:
    """A small table on the quasi-identifiers (values from ``template`` when given) with a few
    records unique on them, or (every third draw) every record at least twice, so k > 1: the
    share and k differ from draw to draw and from the notebook's."""
    rng = _rng(700 + k)
    base = _draw_people(700 + k, columns, template=template)[list(columns)]
    base = base.iloc[: int(rng.integers(20, len(base) + 1))]
    if k % 3 == 1:
        return pd.concat([base, base.iloc[: int(rng.integers(1, len(base) + 1))]] * 2, ignore_index=True)
    n_single = int(rng.integers(1, 5))
    singles = pd.DataFrame({col: [f"ひとり{k}_{i}" if c == 0 else base[col].iloc[0] for i in range(n_single)]
                            for c, col in enumerate(columns)})
    return pd.concat([base.astype(object), singles.astype(object)], ignore_index=True)


@_never_raise
def check_share_unique(risk_function: Any, df: pd.DataFrame | None = None,
                       quasi_identifiers: Sequence[str] = ("age_band", "sex", "town_code")) -> bool:
    """Exercise 01 (the students' own tables): a function ``risk_of(df, quasi_identifiers)`` →
    ``(share_unique, k)``: the share of *records* that are alone in their equivalence class, and k.

    Run on tables the check draws (each with its own share and k) and on ``df`` when given.
    """
    qi = list(quasi_identifiers)
    cases: list[tuple[Any, ...]] = [(_draw_records(i, qi, template=df), qi) for i in range(N_DRAWS)]
    if df is not None:
        cases.append((df, qi))

    def same(got: Any, right: Any) -> bool:
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise TypeError("(一意な記録の割合, k) の 2 つを tuple で返してください")
        share, k = _as_float(got[0]), _as_float(got[1])
        if share is None or k is None:
            raise TypeError("数値ではない値が返りました")
        return _close(share, right[0], rel=1e-6, abs_tol=1e-9) and _close(k, right[1], rel=1e-9)

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        d, q = case
        sizes = d.groupby(list(q), dropna=False, observed=True).size()
        share, k = float(got[0]), float(got[1])
        if not _close(k, right[1], rel=1e-9):
            return "k (2 つ目) は同値クラスの大きさの最小値です。"
        if _close(share, (sizes == 1).sum(), rel=1e-9):
            return "一意な記録の「数」になっています。記録 (行) の数で割って割合 (0〜1) にしましょう。"
        if len(sizes) and _close(share, (sizes == 1).sum() / len(sizes), rel=1e-9):
            return "同値クラスの数で割っています。割合の分母は記録 (行) の数です。"
        return _numeric_hint(share, right[0], "一意な記録の割合", share=True)

    return _run_cases(risk_function, "risk_of(df, quasi_identifiers)", cases, _share_unique_and_k, same, hint)


# --------------------------------------------------------------------------- 02 demand EDA


def _draw_rides(k: int, template: pd.DataFrame | None = None) -> pd.DataFrame:
    """A small booking log: one peak hour, one busiest stop (both ends counted) that is not the
    busiest origin, and outcomes with the labels of ``template`` when given."""
    rng = _rng(100 + k)
    n = int(rng.integers(60, 120))
    peak = int(rng.choice([9, 10, 11, 13, 14, 15, 16]))
    hours = np.where(rng.random(n) < 0.3, peak, rng.integers(8, 18, n))
    day = pd.Timestamp("2024-05-01") + pd.to_timedelta(rng.integers(0, 20, n), unit="D")
    pickup = day + pd.to_timedelta(hours, unit="h") + pd.to_timedelta(rng.integers(0, 60, n), unit="min")
    stops = [f"S{100 + k * 10 + i:03d}" for i in range(5)]
    origin = rng.choice(stops[:3], n, p=[0.45, 0.35, 0.2])  # stops[0]: busiest origin
    destination = np.where(rng.random(n) < 0.75, stops[3], rng.choice(stops[:3], n))  # stops[3]: busiest overall
    labels = (sorted(pd.unique(template["outcome"].dropna())) if template is not None and "outcome" in template
              else ["完了", "キャンセル", "不成立"])
    if "完了" not in labels:
        labels = ["完了", *labels]
    p = np.full(len(labels), 0.4 / max(1, len(labels) - 1))
    p[labels.index("完了")] = 0.6 if len(labels) > 1 else 1.0
    return pd.DataFrame({
        "request_id": [f"R{k}_{i}" for i in range(n)],
        "requested_at": pickup - pd.Timedelta(hours=2),
        "desired_pickup_at": pickup,
        "origin_stop_id": origin, "destination_stop_id": destination,
        "outcome": rng.choice(labels, n, p=p / p.sum()),
    })


def _rides_cases(rides: pd.DataFrame | None, offset: int = 0) -> list[tuple[Any, ...]]:
    cases: list[tuple[Any, ...]] = [(_draw_rides(offset + i, rides),) for i in range(N_DRAWS)]
    if rides is not None:
        cases.append((rides,))
    return cases


def _pickup_hours(ride_requests: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(ride_requests["desired_pickup_at"]).dt.hour


def _peak_hours(ride_requests: pd.DataFrame) -> set[int]:
    counts = _pickup_hours(ride_requests).value_counts()
    return set(counts.index[counts == counts.max()].astype(int))  # ties: any of them is right


@_never_raise
def check_peak_hour(peak_function: Any, ride_requests: pd.DataFrame | None = None) -> bool:
    """Exercise 02: a function ``peak_hour(rides)`` → the hour of day (0–23, desired pick-up
    time) with the most requests."""
    def same(got: Any, right: set[int]) -> bool:
        value = _as_float(got)
        return value is not None and int(value) == value and int(value) in right

    def hint(got: Any, right: set[int], case: tuple[Any, ...]) -> str:
        rides = case[0]
        requested = pd.to_datetime(rides["requested_at"]).dt.hour.value_counts() if "requested_at" in rides else None
        value = _as_float(got)
        if value is None or not 0 <= value <= 23:
            return "時 (0〜23 の整数) を返します。value_counts() の一番上の「時」です。"
        if requested is not None and int(value) in set(requested.index[requested == requested.max()]):
            return "予約日時 (requested_at) ではなく希望乗車日時 (desired_pickup_at) の「時」で数えましょう。"
        return "件数ではなく、一番多い「時」を返していますか？ .dt.hour で時を取り出して数えましょう。"

    return _run_cases(peak_function, "peak_hour(rides)", _rides_cases(ride_requests), _peak_hours, same, hint)


def _busiest(ride_requests: pd.DataFrame) -> set[str]:
    both = pd.concat([ride_requests["origin_stop_id"], ride_requests["destination_stop_id"]])
    counts = both.value_counts()
    return set(counts.index[counts == counts.max()].astype(str))  # ties: any of them is right


@_never_raise
def check_busiest_stop(stop_function: Any, ride_requests: pd.DataFrame | None = None) -> bool:
    """Exercise 02: a function ``busiest_stop(rides)`` → the stop_id used most as origin or
    destination (both ends counted)."""
    def hint(got: Any, right: set[str], case: tuple[Any, ...]) -> str:
        origins = case[0]["origin_stop_id"].value_counts()
        if str(got) in set(origins.index[origins == origins.max()].astype(str)):
            return "乗車 (origin) と降車 (destination) の両方を合わせて数えましょう (pd.concat)。"
        return "停留所ID (例: \"S0xx\") を文字列で返します。件数ではなく index (停留所ID) の方です。"

    return _run_cases(stop_function, "busiest_stop(rides)", _rides_cases(ride_requests, 10), _busiest,
                      lambda got, right: str(got) in right, hint)


@_never_raise
def check_completion_rate(rate_function: Any, ride_requests: pd.DataFrame | None = None) -> bool:
    """Exercise 02: a function ``completion_rate(rides)`` → share (0–1) of requests whose
    outcome is 完了 (completed)."""
    return _run_cases(rate_function, "completion_rate(rides)", _rides_cases(ride_requests, 20),
                      lambda r: float((r["outcome"] == "完了").mean()), _same_number(1e-6),
                      _number_hint("完了率", share=True))


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


def _wape(y_true: Any, y_pred: Any) -> float:
    from kogadx.demand.metrics import point_metrics

    return float(point_metrics(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))["wape"])


@_never_raise
def check_wape(wape_function: Any, y_true: Any = None, y_pred: Any = None) -> bool:
    """Exercise 03: a function ``wape(y_true, y_pred)`` → Σ|予測 − 実績| / Σ実績 (a share)."""
    cases: list[tuple[Any, ...]] = []
    for i in range(N_DRAWS):
        rng = _rng(200 + i)
        n = int(rng.integers(30, 80))
        actual = rng.poisson(rng.uniform(0.5, 3), n).astype(float)
        actual[0] += 1  # a positive total: WAPE is defined
        cases.append((actual, np.clip(actual + rng.normal(0, 1.5, n), 0, None)))
    if y_true is not None and y_pred is not None:
        if np.nansum(np.asarray(y_true, dtype=float)) <= 0:
            return _report(False, "評価期間の実績の合計が 0 件なので、WAPE は計算できません (期間を広げてください)。")
        cases.append((np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        a, f = np.asarray(case[0], dtype=float), np.clip(np.asarray(case[1], dtype=float), 0, None)
        if _close(float(got), float(np.mean(np.abs(f - a))), rel=1e-4):
            return "それは MAE (平均絶対誤差) です。WAPE は誤差の合計を実績の合計で割ります。"
        if _close(float(got), float(np.sum(f - a) / np.sum(a)), rel=1e-4):
            return "誤差の絶対値 (np.abs) をとってから合計しましょう。プラスとマイナスが打ち消し合っています。"
        return _numeric_hint(float(got), float(right), "WAPE", share=True)

    return _run_cases(wape_function, "wape(y_true, y_pred)", cases, _wape, _same_number(1e-4), hint)


@_never_raise
def check_leaky_columns(answer: Iterable[str], prepared: Any, horizon: int) -> bool:
    """Exercise 03: the feature columns that carry information not known at the issue time.

    The check builds the design twice itself (weather as observed, weather as known at the
    issue time, :func:`kogadx.demand.forecast.build_design`) and takes the columns that differ.
    """
    from kogadx.demand.forecast import WEATHER_COLS, build_design

    if isinstance(answer, str):
        return _report(False, "列名のリスト (例: [\"列名1\", \"列名2\"]) で答えてください。")
    observed = build_design(prepared, int(horizon))
    issued = build_design(prepared, int(horizon), issue_time_cols=WEATHER_COLS)
    right = {c for c in observed.features
             if not observed.frame[c].equals(issued.frame[c])}
    given = {str(a).strip() for a in answer}
    if given == right:
        return _report(True)
    if given & {c for c in observed.features if c.startswith("lag_")}:
        return _report(False, "ラグ (lag_...) は予測距離より古い実績だけなので、起点で分かっています。")
    if given - right:
        return _report(False, "カレンダー (曜日・祝日) やゾーンの属性は前もって分かる情報です。")
    return _report(False, "まだ足りない列があります。予測する時刻に「観測して初めて分かる」ものをすべて挙げましょう。")


# --------------------------------------------------------------------------- 04 dispatch


def _draw_trips(k: int, shift: float = 0.0) -> pd.DataFrame:
    rng = _rng(300 + k)
    n = int(rng.integers(30, 70))
    served = rng.random(n) < rng.uniform(0.6, 0.95)
    wait = np.where(served, np.round(rng.gamma(2.0, 4.0, n) + shift, 1).clip(0), np.nan)
    return pd.DataFrame({"request_id": [f"R{i}" for i in range(n)],
                         "status": np.where(served, "served", "rejected"), "wait_min": wait})


@_never_raise
def check_served_rate(rate_function: Any, trips: pd.DataFrame | None = None) -> bool:
    """Exercise 04: a function ``served_rate(trips)`` → share (0–1) of simulated requests that
    were served (``status == "served"``)."""
    cases: list[tuple[Any, ...]] = [(_draw_trips(i),) for i in range(N_DRAWS)]
    if trips is not None:
        cases.append((trips,))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        if _close(float(got), 1 - float(right), rel=1e-6):
            return "それは断られた割合 (rejection) です。"
        return _numeric_hint(float(got), float(right), "運べた割合", share=True)

    return _run_cases(rate_function, "served_rate(trips)", cases,
                      lambda t: float((t["status"] == "served").mean()), _same_number(1e-6), hint)


@_never_raise
def check_fleet_needed(n_vehicles: int, scenarios: pd.DataFrame, max_rejection_rate: float,
                       demand_factor: float = 1.0, policy: str = "none") -> bool:
    """Exercise 04: the smallest fleet in the what-if table whose rejection rate ≤ the target
    (a reading exercise: the value comes from the table the student ran)."""
    table = scenarios[(scenarios["demand_factor"] == demand_factor) & (scenarios["policy"] == policy)]
    if table.empty:
        return _setup_problem(ValueError(f"シナリオ表に需要 ×{demand_factor} の行がありません"))
    ok = table.loc[table["rejection_rate"] <= max_rejection_rate, "n_vehicles"]
    value = _as_float(n_vehicles)
    if value is None or value != int(value) or value < 1:
        return _report(False, "台数 (1 以上の整数) で答えます。")
    if ok.empty:
        if value > table["n_vehicles"].max():
            return _report(True)
        return _report(False, "この表のどの台数でも目標を満たしていません。表にない (もっと多い) 台数が必要です。")
    right = int(ok.min())
    if int(value) == right:
        return _report(True)
    if int(value) in set(ok):
        return _report(False, "目標は満たしますが、もっと少ない台数でも満たせます (費用も考えましょう)。")
    return _report(False, "その台数では断られる割合が目標を超えます。表の rejection_rate を見直しましょう。")


def _mean_served_wait(trips: pd.DataFrame) -> float:
    return float(trips.loc[trips["status"] == "served", "wait_min"].mean())


@_never_raise
def check_wait_change(change_function: Any, base_trips: pd.DataFrame | None = None,
                      new_trips: pd.DataFrame | None = None) -> bool:
    """Exercise 04: a function ``wait_change(base_trips, new_trips)`` → change in the mean wait
    (minutes) of served requests, new − base."""
    cases: list[tuple[Any, ...]] = [(_draw_trips(10 + i), _draw_trips(20 + i, shift=-1.0 + i))
                                    for i in range(N_DRAWS)]
    if base_trips is not None and new_trips is not None:
        cases.append((base_trips, new_trips))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        value, right = float(got), float(right)
        if _close(value, -right, rel=1e-3):
            return "引く順番が逆です。「先回りあり − 先回りなし」で、短くなったならマイナスになります。"
        if _close(value, right * 60, rel=1e-3):
            return "単位は分です。秒になっていませんか？"
        every = float(case[1]["wait_min"].fillna(0).mean() - case[0]["wait_min"].fillna(0).mean())
        if _close(value, every, rel=1e-3):
            return "断られた予約 (wait_min が空) まで 0 分として平均していませんか？運べた予約だけで平均します。"
        return _numeric_hint(value, right, "待ち時間の変化")

    return _run_cases(change_function, "wait_change(base_trips, new_trips)", cases,
                      lambda b, n: _mean_served_wait(n) - _mean_served_wait(b),
                      lambda got, right: _as_float(got) is not None and abs(float(got) - right) < 1e-6
                      or _same_number(1e-4)(got, right), hint)


# --------------------------------------------------------------------------- 05 CO2


@_never_raise
def check_emissions(emissions_function: Any, factors: pd.DataFrame | None = None, fiscal_year: int = 2023,
                    electricity_basis: str = "basic") -> bool:
    """Exercise 05: a function ``t_co2(amount, fuel, factors)`` → t-CO2 of ``amount`` (native
    unit: kWh, m3, kg, L) of ``fuel`` with the factor table ``factors``
    (:func:`kogadx.energy.factors.select_emission_factors`). The check picks the amounts and
    fuels (every fuel of the table) itself."""
    from kogadx.energy.emissions import compute_emissions
    from kogadx.energy.factors import load_emission_factors, select_emission_factors

    table = (factors if factors is not None
             else select_emission_factors(load_emission_factors(), int(fiscal_year), electricity_basis))
    rng = _rng(400)
    cases = [(float(np.round(rng.uniform(100, 50_000))), str(fuel), table) for fuel in sorted(table["fuel"])]

    def reference(amount: float, fuel: str, factor_table: pd.DataFrame) -> float:
        row = pd.DataFrame({"business_id": ["x"], "year_month": [f"{int(fiscal_year)}-04"], "fuel": [fuel],
                            "value": [amount]})
        return float(compute_emissions(row, factor_table)["t_co2"].iloc[0])

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        value, right = float(got), float(right)
        where = f"燃料 {case[1]} ({case[0]:g} 単位) で"
        if right and (_close(value, right * 1000, rel=1e-3) or _close(value, right / 1000, rel=1e-3)):
            return (f"{where}合いません。単位の換算を確認しましょう: 係数は kL・千m3・t あたり、使用量は L・m3・kg"
                    " です (電力は kWh のまま)。kg-CO2 と t-CO2 の取り違えもよくあります。")
        return f"{where}合いません。factors からその燃料の行の factor と unit を選んでいますか？"

    return _run_cases(emissions_function, "t_co2(amount, fuel, factors)", cases, reference, _same_number(1e-3),
                      hint)


def _draw_weather(k: int) -> tuple[pd.DataFrame, str]:
    rng = _rng(500 + k)
    month = pd.Period(f"2023-{int(rng.integers(1, 13)):02d}", "M")
    time = pd.date_range(month.start_time - pd.Timedelta(days=2), month.end_time + pd.Timedelta(days=2), freq="h")
    level = rng.uniform(5, 30)
    temp = level + 4 * np.sin(np.arange(len(time)) / 24 * 2 * np.pi) + rng.normal(0, 2, len(time)).cumsum() / 10
    return pd.DataFrame({"time": time, "temperature_c": np.round(temp, 1)}), str(month)


@_never_raise
def check_degree_days(dd_function: Any, weather: pd.DataFrame | None = None, year_month: str | None = None,
                      base_cooling: float = 22.0, base_heating: float = 14.0) -> bool:
    """Exercise 05: a function ``degree_days_of(weather, year_month, base_cooling, base_heating)``
    → (CDD, HDD) in °C·day of one month, from hourly weather."""
    from kogadx.energy.weather import degree_days

    cases: list[tuple[Any, ...]] = [(*_draw_weather(i), base_cooling, base_heating) for i in range(N_DRAWS)]
    if weather is not None and year_month is not None:
        cases.append((weather, str(year_month), base_cooling, base_heating))

    def reference(w: pd.DataFrame, ym: str, bc: float, bh: float) -> tuple[float, float]:
        row = degree_days(w, bc, bh).set_index("year_month").loc[ym]
        return float(row["cdd"]), float(row["hdd"])

    def same(got: Any, right: tuple[float, float]) -> bool:
        c, h = (_as_float(v) for v in got)
        if c is None or h is None:
            raise TypeError("(CDD, HDD) の 2 つの数値を返してください")
        return _close(c, right[0], rel=1e-3, abs_tol=1e-6) and _close(h, right[1], rel=1e-3, abs_tol=1e-6)

    def hint(got: Any, right: tuple[float, float], case: tuple[Any, ...]) -> str:
        which = "冷房度日 (CDD)" if not _close(float(got[0]), right[0], rel=1e-3, abs_tol=1e-6) else "暖房度日 (HDD)"
        return (f"{which}が合いません。毎時の気温をまず「日平均」にしてから基準温度との差をとり、"
                "マイナスは 0 にして、その月の日だけ合計します。")

    return _run_cases(dd_function, "degree_days_of(weather, year_month, base_cooling, base_heating)", cases,
                      reference, same, hint)


@_never_raise
def check_cv_rmse(cv_function: Any, y: Any = None, y_hat: Any = None, n_params: int = 4) -> bool:
    """Exercise 05: a function ``cv_rmse(y, y_hat, n_params)`` → CV(RMSE) of a baseline
    (ASHRAE Guideline 14, n − p in the denominator)."""
    from kogadx.energy.baseline import goodness_of_fit

    cases: list[tuple[Any, ...]] = []
    for i in range(N_DRAWS):
        rng = _rng(600 + i)
        n = int(rng.integers(12, 36))
        actual = rng.uniform(500, 5000, n)
        cases.append((actual, actual + rng.normal(0, 200, n), int(rng.integers(2, 5))))
    if y is not None and y_hat is not None:
        cases.append((np.asarray(y, float), np.asarray(y_hat, float), int(n_params)))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        y_arr, f_arr = np.asarray(case[0], float), np.asarray(case[1], float)
        plain = float(np.sqrt(np.mean((y_arr - f_arr) ** 2)) / np.mean(y_arr))
        if _close(float(got), plain, rel=1e-4):
            return "Guideline 14 では二乗誤差の和を n ではなく (n − p) で割ります (p は引数 n_params)。"
        return _numeric_hint(float(got), float(right), "CV(RMSE)", share=True)

    return _run_cases(cv_function, "cv_rmse(y, y_hat, n_params)", cases,
                      lambda a, f, p: float(goodness_of_fit(np.asarray(a, float), np.asarray(f, float), int(p))[0]),
                      _same_number(1e-4), hint)


# --------------------------------------------------------------------------- 06 well-being


def _weighted_mean(values: Any, weights: Any) -> float:
    x = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(float)
    w = np.asarray(weights, float)
    ok = ~np.isnan(x)
    return float(np.sum(w[ok] * x[ok]) / np.sum(w[ok]))


def _draw_answers(k: int) -> tuple[pd.Series, pd.Series]:
    rng = _rng(700 + k)
    n = int(rng.integers(30, 80))
    values = pd.Series(rng.integers(0, 11, n), dtype="float64")
    values[rng.random(n) < 0.15] = np.nan  # 無回答
    weights = pd.Series(np.round(rng.lognormal(0, 0.6, n), 3))
    return values, weights


@_never_raise
def check_weighted_mean(mean_function: Any, values: Any = None, weights: Any = None) -> bool:
    """Exercise 06: a function ``weighted_mean(values, weights)`` → Σ w·x / Σ w over the
    answered rows (missing answers left out of both sums)."""
    cases: list[tuple[Any, ...]] = [_draw_answers(i) for i in range(N_DRAWS)]
    if values is not None and weights is not None:
        cases.append((values, weights))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        x = pd.to_numeric(pd.Series(np.asarray(case[0])), errors="coerce").to_numpy(float)
        if _close(float(got), float(np.nanmean(x)), rel=1e-6):
            return "それは重みなしの平均です。回答者ごとのウエイトを掛けて合計し、ウエイトの合計で割りましょう。"
        return "無回答 (欠損) の人は分子だけでなく分母 (ウエイトの合計) からも除きます。"

    return _run_cases(mean_function, "weighted_mean(values, weights)", cases, _weighted_mean,
                      _same_number(1e-6), hint)


@_never_raise
def check_effective_sample_size(neff_function: Any, weights: Any = None) -> bool:
    """Exercise 06: a function ``n_eff(weights)`` → Kish's effective sample size (Σw)² / Σw²."""
    cases: list[tuple[Any, ...]] = [(_draw_answers(10 + i)[1],) for i in range(N_DRAWS)]
    if weights is not None:
        cases.append((weights,))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        if float(got) >= len(case[0]):
            return "ウエイトがばらつくと、実効サンプルサイズは回答者数より「小さく」なります。"
        return "Kish の式: (ウエイトの合計)² ÷ (ウエイトの二乗の合計) です。"

    return _run_cases(neff_function, "n_eff(weights)", cases,
                      lambda w: float(np.asarray(w, float).sum() ** 2 / np.sum(np.asarray(w, float) ** 2)),
                      _same_number(1e-6), hint)


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


# --------------------------------------------------------------------------- 09 evaluation


def _draw_scored(k: int) -> pd.DataFrame:
    rng = _rng(900 + k)
    days = int(rng.integers(3, 7))
    ds = pd.date_range("2024-07-01", periods=days * 24, freq="h").repeat(2)
    y = rng.poisson(1.5, len(ds)).astype(float)
    y[:24] += 1  # every day has requests on the first day at least
    return pd.DataFrame({"unique_id": np.tile(["A", "B"], days * 24), "ds": ds, "y": y,
                         "yhat": np.clip(y + rng.normal(0, 1.2, len(ds)), 0, None)})


def _daily_wape(scored: pd.DataFrame) -> pd.Series:
    day = pd.to_datetime(scored["ds"]).dt.floor("D")
    err = (scored["yhat"] - scored["y"]).abs().groupby(day).sum()
    return err / scored["y"].groupby(day).sum()


@_never_raise
def check_daily_wape(daily_function: Any, scored: pd.DataFrame | None = None) -> bool:
    """Exercise 09: a function ``daily_wape(scored)`` → WAPE per day (a Series indexed by day)
    from rows with ``ds`` (hour), ``y`` (actual) and ``yhat`` (forecast)."""
    cases: list[tuple[Any, ...]] = [(_draw_scored(i),) for i in range(N_DRAWS)]
    if scored is not None:
        cases.append((scored,))

    def same(got: Any, right: pd.Series) -> bool:
        values = np.asarray(pd.Series(got), dtype=float)
        return values.shape == right.shape and bool(np.allclose(values, right.to_numpy(float), rtol=1e-6,
                                                                equal_nan=True))

    def hint(got: Any, right: pd.Series, case: tuple[Any, ...]) -> str:
        if np.ndim(got) == 0:
            return "日ごとの値 (日の数だけ並んだ Series) を返します。全体の WAPE を 1 つ返していませんか？"
        if len(pd.Series(got)) != len(right):
            return "日の数と長さが合いません。ds を日 (dt.floor(\"D\") や dt.date) にまとめてから groupby しましょう。"
        return "日ごとに「誤差の絶対値の合計 ÷ 実績の合計」です。時間ごとの WAPE の平均ではありません。"

    return _run_cases(daily_function, "daily_wape(scored)", cases, _daily_wape, same, hint)


@_never_raise
def check_coverage(coverage_function: Any, y: Any = None, lower: Any = None, upper: Any = None) -> bool:
    """Exercise 09: a function ``coverage(y, lower, upper)`` → share of actuals inside
    [lower, upper] (both ends included)."""
    cases: list[tuple[Any, ...]] = []
    for i in range(N_DRAWS):
        rng = _rng(950 + i)
        n = int(rng.integers(40, 90))
        mu = rng.uniform(0.5, 4, n)
        actual = rng.poisson(mu).astype(float)
        low = np.floor(mu - rng.uniform(0, 1.5, n)).clip(0)
        cases.append((actual, low, low + rng.integers(0, 4, n)))  # some actuals sit on a bound
    if y is not None and lower is not None and upper is not None:
        cases.append((np.asarray(y, float), np.asarray(lower, float), np.asarray(upper, float)))

    def reference(a: Any, lo: Any, hi: Any) -> float:
        a, lo, hi = (np.asarray(v, float) for v in (a, lo, hi))
        return float(np.mean((a >= lo) & (a <= hi)))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        a, lo, hi = (np.asarray(v, float) for v in case)
        if _close(float(got), float(np.mean((a > lo) & (a < hi))), rel=1e-9):
            return "区間の端ちょうどの値 (件数は整数なのでよくあります) も「区間に入った」と数えます (<= を使う)。"
        return _numeric_hint(float(got), float(right), "カバー率", share=True)

    return _run_cases(coverage_function, "coverage(y, lower, upper)", cases, reference, _same_number(1e-9), hint)


# --------------------------------------------------------------------------- 10 data quality


def _draw_table_metrics(k: int) -> dict[str, Any]:
    rng = _rng(1000 + k)
    rows_in = int(rng.integers(50, 5000))
    quarantined = int(rng.integers(0, rows_in // 10))
    out = rows_in - quarantined - (int(rng.integers(1, 5)) if k % 2 else 0)  # odd draws lose rows
    return {"rows_in": rows_in, "rows_out": out, "rows_quarantined": quarantined}


@_never_raise
def check_balanced(balanced_function: Any, ingest_metrics: dict[str, Any] | None = None) -> bool:
    """Exercise 10: a function ``is_balanced(table_metrics)`` → True when every row read is
    either kept or quarantined (rows_in == rows_out + rows_quarantined)."""
    cases: list[tuple[Any, ...]] = [(_draw_table_metrics(i),) for i in range(2 * N_DRAWS)]
    for block in (ingest_metrics or {}).values():
        if isinstance(block, dict) and "rows_in" in block:
            cases.append((block,))

    def reference(m: dict[str, Any]) -> bool:
        return int(m["rows_in"]) == int(m["rows_out"]) + int(m.get("rows_quarantined", 0))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        if not isinstance(got, bool | np.bool_):
            return "True か False を返します (== で比べた結果)。"
        return "読んだ行 (rows_in) が「残った行 (rows_out) + 隔離した行 (rows_quarantined)」と等しいかを比べます。"

    return _run_cases(balanced_function, "is_balanced(table_metrics)", cases, reference,
                      lambda got, right: isinstance(got, bool | np.bool_) and bool(got) == right, hint)


def _inconsistent(rides: pd.DataFrame) -> int:
    early = pd.to_datetime(rides["desired_pickup_at"]) < pd.to_datetime(rides["requested_at"])
    no_pickup = (rides["outcome"] == "完了") & rides["actual_pickup_at"].isna()
    return int((early | no_pickup).sum())


def _draw_faulty_rides(k: int) -> pd.DataFrame:
    rng = _rng(1100 + k)
    rides = _draw_rides(k)
    n = len(rides)
    done = (rides["outcome"] == "完了").to_numpy()
    pickup = rides["desired_pickup_at"] + pd.to_timedelta(rng.integers(0, 10, n), unit="min")
    rides["actual_pickup_at"] = pickup.where(done)
    bad_time = rng.random(n) < 0.05
    rides.loc[bad_time, "requested_at"] = rides.loc[bad_time, "desired_pickup_at"] + pd.Timedelta(hours=1)
    lost = done & (rng.random(n) < 0.05)
    rides.loc[lost, "actual_pickup_at"] = pd.NaT
    both = bad_time & lost
    if not both.any() and n > 0:  # one row with both faults: counted once
        rides.loc[rides.index[0], ["requested_at", "actual_pickup_at"]] = [
            rides.loc[rides.index[0], "desired_pickup_at"] + pd.Timedelta(hours=1), pd.NaT]
        rides.loc[rides.index[0], "outcome"] = "完了"
    return rides


@_never_raise
def check_inconsistent_rows(count_function: Any, rides: pd.DataFrame | None = None) -> bool:
    """Exercise 10: a function ``count_inconsistent(rides)`` → rows that break a rule of the
    booking log: pick-up wished before the booking was made, or 完了 without an actual pick-up
    time (a row breaking both counts once)."""
    cases: list[tuple[Any, ...]] = [(_draw_faulty_rides(i),) for i in range(N_DRAWS)]
    if rides is not None:
        cases.append((rides,))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        r = case[0]
        early = int((pd.to_datetime(r["desired_pickup_at"]) < pd.to_datetime(r["requested_at"])).sum())
        no_pickup = int(((r["outcome"] == "完了") & r["actual_pickup_at"].isna()).sum())
        if _close(float(got), early + no_pickup, rel=1e-9) and early + no_pickup != right:
            return "二つの規則の両方に反する行を二重に数えています。行ごとに「どちらかに反する」(|) で数えましょう。"
        if _close(float(got), early, rel=1e-9) or _close(float(got), no_pickup, rel=1e-9):
            return "規則の片方だけを数えています。"
        return "行の数 (整数) を返します。キャンセルの行は乗車時刻が空で正常です。"

    return _run_cases(count_function, "count_inconsistent(rides)", cases, _inconsistent, _same_number(1e-9), hint)


# --------------------------------------------------------------------------- 11 accessibility


def _covered_share(towns: Any, covered: Any) -> pd.Series:
    inter = towns.geometry.intersection(covered).area
    return pd.Series(np.asarray(inter, float) / np.asarray(towns.geometry.area, float), index=towns.index)


def _draw_towns(k: int) -> tuple[Any, Any]:
    import geopandas as gpd
    from shapely.geometry import Point, box
    from shapely.ops import unary_union

    rng = _rng(1200 + k)
    size = float(rng.uniform(300, 900))
    cells = [box(i * size, j * size, (i + 1) * size, (j + 1) * size) for i in range(3) for j in range(2)]
    towns = gpd.GeoDataFrame({"town_code": [f"T{k}{i}" for i in range(len(cells))]}, geometry=cells,
                             crs="EPSG:6670")
    stops = [Point(rng.uniform(0, 3 * size), rng.uniform(0, 2 * size)) for _ in range(int(rng.integers(2, 5)))]
    return towns, unary_union([p.buffer(float(rng.uniform(150, 400))) for p in stops])


@_never_raise
def check_covered_share(share_function: Any, towns: Any = None, covered: Any = None) -> bool:
    """Exercise 11: a function ``covered_share(towns, covered)`` → per town (same index), the
    share (0–1) of its area inside ``covered`` (the union of stop buffers), both in a metric CRS."""
    cases: list[tuple[Any, ...]] = [_draw_towns(i) for i in range(N_DRAWS)]
    if towns is not None and covered is not None:
        cases.append((towns, covered))

    def same(got: Any, right: pd.Series) -> bool:
        values = np.asarray(pd.Series(got), dtype=float)
        return values.shape == right.shape and bool(np.allclose(values, right.to_numpy(float), rtol=1e-6,
                                                                atol=1e-9))

    def hint(got: Any, right: pd.Series, case: tuple[Any, ...]) -> str:
        values = np.asarray(pd.Series(got), dtype=float)
        if values.shape == right.shape and np.allclose(values, right.to_numpy(float) * 100, rtol=1e-6):
            return "割合 (0〜1) で返します。百分率になっていませんか？"
        if values.shape == right.shape and np.allclose(values, right.to_numpy(float) * case[0].geometry.area):
            return "重なった面積を、町丁目の面積で割って割合にしましょう。"
        return "町丁目ごとに intersection(covered).area ÷ 町丁目の面積 です (メートル単位の CRS で)。"

    return _run_cases(share_function, "covered_share(towns, covered)", cases, _covered_share, same, hint)


# --------------------------------------------------------------------------- 00 environment (function-based, #24)

ZONE_SECURE = "安全管理区域"
ZONE_SHAREABLE = "共有ゾーン"
ZONE_OTHER = "その他"
ZONES = (ZONE_SECURE, ZONE_SHAREABLE, ZONE_OTHER)
# Files outside both zones (code, notebooks) and shareable files whose names contain a secure
# folder's word: a function that looks for "raw" or "secure" anywhere in the path fails on them.
_OTHER_FILES = ("src/kogadx/pbl/data.py", "pipelines/ingest.py", "notebooks/pbl/00_data_map.py", "README.md",
                "tests/unit/test_raw_names.py", "params.yaml")
_TRAP_FILES = ("data/features/raw_counts.parquet", "reports/secure_zone_audit.html",
               "data/pseudonymized/truth_table_notes.parquet", "metrics/raw_validated.json")


def _zone(path: str) -> str:
    from kogadx.paths import SECURE_DIRS, SHAREABLE_DIRS

    text = str(path).replace("\\", "/").removeprefix("./")
    if any(text == d or text.startswith(f"{d}/") for d in SECURE_DIRS):
        return ZONE_SECURE
    if any(text == d or text.startswith(f"{d}/") for d in SHAREABLE_DIRS):
        return ZONE_SHAREABLE
    return ZONE_OTHER


def _draw_paths(k: int) -> list[str]:
    from kogadx.paths import SECURE_DIRS, SHAREABLE_DIRS

    rng = _rng(1300 + k)
    names = ["residents", "members", "ride_requests", "survey", "weather", "counter_log", "towns", "stops"]
    paths = [f"{folder}/{rng.choice(names)}.{rng.choice(['csv', 'parquet', 'json'])}"
             for folder in (*SECURE_DIRS, *SHAREABLE_DIRS)]
    paths += [str(p) for p in rng.choice(_OTHER_FILES, 2, replace=False)]
    paths += [str(p) for p in rng.choice(_TRAP_FILES, 2, replace=False)]
    return [paths[i] for i in rng.permutation(len(paths))]


@_never_raise
def check_zone_of(zone_function: Any, paths: Iterable[str] | None = None) -> bool:
    """Exercise 00 (function): ``zone_of(path)`` → "安全管理区域", "共有ゾーン" or "その他" for a
    path relative to the project root. Run on paths the check draws (every zone folder, code
    files, shareable files whose names contain "raw" or "secure") and on ``paths`` when given."""
    if not callable(zone_function):
        return _not_a_function("zone_of(path)")
    cases = [p for i in range(N_DRAWS) for p in _draw_paths(i)]
    cases += [str(p) for p in (paths if paths is not None else [])]
    for path in cases:
        got = _call(zone_function, path)
        if got is None:
            raise _Unanswered
        if got not in ZONES:
            return _report(False, f"「{ZONE_SECURE}」「{ZONE_SHAREABLE}」「{ZONE_OTHER}」のどれか (文字列) "
                                  "を返します。")
        right = _zone(path)
        if got != right:
            if right == ZONE_OTHER or (right == ZONE_SHAREABLE and got == ZONE_SECURE):
                extra = ("フォルダの名前 (パスの先頭) で決めます。ファイル名に raw や secure が入っていても、"
                         "置き場所のフォルダで区域が決まります。")
            else:
                extra = "1 の表のフォルダと見比べましょう (フォルダ名のあとの「/」まで含めて比べると確実です)。"
            return _report(False, f"`{path}` の区域が違います。{extra}")
    return _report(True)


def _draw_frame(k: int) -> pd.DataFrame:
    rng = _rng(1400 + k)
    rows, cols = int(rng.integers(3, 60)), int(rng.integers(2, 9))
    if rows == cols:
        rows += 1
    return pd.DataFrame(rng.integers(0, 100, (rows, cols)), columns=[f"列{j}" for j in range(cols)])


@_never_raise
def check_table_shape(shape_function: Any, df: pd.DataFrame | str | Path | None = None) -> bool:
    """Exercise 00 (function): ``table_shape(df)`` → (行数, 列数) of a table, run on tables the
    check draws and on ``df`` when given: a table, or the path of a shareable-zone table that
    the check reads itself (a missing file is then a setup problem, not a wrong answer)."""
    cases: list[tuple[Any, ...]] = [(_draw_frame(i),) for i in range(N_DRAWS)]
    if isinstance(df, str | Path):
        from kogadx.pbl.data import read_table

        df = read_table(df)
    if df is not None:
        cases.append((df,))

    def same(got: Any, right: tuple[int, int]) -> bool:
        return isinstance(got, tuple | list) and len(got) == 2 and tuple(int(v) for v in got) == right

    def hint(got: Any, right: tuple[int, int], case: tuple[Any, ...]) -> str:
        if not isinstance(got, tuple | list) or len(got) != 2:
            return "(行数, 列数) の 2 つを組 (タプル) で返します。例: `return (a, b)`。"
        if tuple(int(v) for v in got) == right[::-1]:
            return "行数と列数が逆になっています。"
        return "読み込んだままの表を数えましょう (len(df) と len(df.columns)、または df.shape)。"

    return _run_cases(shape_function, "table_shape(df)", cases, lambda d: (int(d.shape[0]), int(d.shape[1])),
                      same, hint)


# --------------------------------------------------------------------------- 08 counter (function-based, #24)


def _draw_queues(k: int, stable: bool = True) -> list[tuple[float, float, int]]:
    """(arrivals per hour, service minutes, counters) with utilisation 0.3–0.9 (stable queues)."""
    rng = _rng(1500 + k)
    out = []
    for _ in range(3):
        servers = int(rng.integers(1, 6))
        service = float(rng.uniform(3, 15))
        rho = float(rng.uniform(0.3, 0.9)) if stable else float(rng.uniform(0.3, 1.4))
        out.append((round(rho * 60 * servers / service, 2), round(service, 2), servers))
    return out


def _queue_cases(k: int, given: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    cases: list[tuple[Any, ...]] = [c for i in range(N_DRAWS) for c in _draw_queues(k + i)]
    if all(v is not None for v in given):
        cases.append(given)
    return cases


@_never_raise
def check_utilisation_function(utilisation_function: Any, rate_per_hour: float | None = None,
                               service_min: float | None = None, servers: int | None = None) -> bool:
    """Exercise 08 (function): ``utilisation(rate_per_hour, service_min, servers)`` → ρ =
    λ × service / (60 × counters), run on queues the check draws and on the notebook's."""
    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        rate, service, c = case
        number = float(got)
        if _close(number, right * c, rel=1e-3):
            return "窓口が複数あるときは、負荷 (アーラン) を窓口数で割ります。"
        if _close(number, rate * service / c, rel=1e-3):
            return "到着率は「1時間あたり」、処理時間は「分」です。単位をそろえましょう (1時間 = 60分)。"
        return _numeric_hint(number, float(right), "稼働率", share=True)

    return _run_cases(utilisation_function, "utilisation(rate_per_hour, service_min, servers)",
                      _queue_cases(0, (rate_per_hour, service_min, servers)),
                      lambda r, s, c: float(r) * float(s) / (60.0 * int(c)), _same_number(1e-6), hint)


@_never_raise
def check_mean_wait_function(wait_function: Any, rate_per_hour: float | None = None,
                             service_min: float | None = None, servers: int | None = None) -> bool:
    """Exercise 08 (function): ``mean_wait(rate_per_hour, service_min, servers)`` → M/M/c mean
    wait in minutes, Wq = C(c, a) / (cμ − λ), run on stable queues the check draws and on the notebook's."""
    from kogadx.counter.queue import erlang_c_figures

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        number = float(got)
        if _close(number, right / 60.0, rel=1e-3):
            return "時間単位になっていませんか？ 分で返します (λ は 1分あたり = 1時間あたり ÷ 60)。"
        rate, service, c = case
        lam, mu = rate / 60.0, 1.0 / service
        if _close(number, right * (c * mu - lam), rel=1e-3):
            return "それは待つ確率 C(c, a) です。窓口全体の処理能力と到着率の差 (cμ − λ) で割ります。"
        return "待つ確率 C(c, a) を、窓口全体の処理能力と到着率の差 (cμ − λ、1分あたり) で割ります。"

    return _run_cases(wait_function, "mean_wait(rate_per_hour, service_min, servers)",
                      _queue_cases(10, (rate_per_hour, service_min, servers)),
                      lambda r, s, c: erlang_c_figures(float(r), float(s), int(c)).mean_wait_min,
                      _same_number(1e-4), hint)


@_never_raise
def check_counters_function(counters_function: Any, rate_per_hour: float | None = None,
                            service_min: float | None = None, target_min: float | None = None) -> bool:
    """Exercise 08 (function): ``counters_needed(rate_per_hour, service_min, target_min)`` → the
    fewest counters whose Erlang C 90th-percentile wait is at most ``target_min``."""
    from kogadx.counter.queue import servers_for_target

    rng = _rng(1600)
    cases: list[tuple[Any, ...]] = [(round(float(rng.uniform(8, 90)), 1), round(float(rng.uniform(3, 15)), 1),
                                     float(rng.choice([5.0, 10.0, 15.0, 20.0]))) for _ in range(3 * N_DRAWS)]
    if rate_per_hour is not None and service_min is not None and target_min is not None:
        cases.append((rate_per_hour, service_min, target_min))

    def same(got: Any, right: int) -> bool:
        value = _as_float(got)
        return value is not None and value == int(value) and int(value) == right

    def hint(got: Any, right: int, case: tuple[Any, ...]) -> str:
        value = _as_float(got)
        if value is None or value != int(value):
            return "窓口の数 (整数) を返します。"
        if int(value) < right:
            return "その窓口数では 90% 点の待ち時間が目標を超えます (または行列が伸び続けます)。"
        return "目標は満たしますが、もっと少ない窓口数でも満たせます。「最も少ない」数を探しましょう。"

    return _run_cases(counters_function, "counters_needed(rate_per_hour, service_min, target_min)", cases,
                      lambda r, s, t: servers_for_target(float(r), float(s), float(t)), same, hint)


# --------------------------------------------------------------------------- 12 regulation review (#24)


def _draw_ranked(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores without ties and labels that follow them loosely (5–15 % positive)."""
    rng = _rng(1700 + k)
    n = int(rng.integers(150, 400))
    truth = rng.random(n) < rng.uniform(0.05, 0.15)
    truth[rng.integers(0, n)] = True
    scores = rng.normal(0, 1, n) + 1.5 * truth
    return scores, truth


def _ordered_truth(scores: Any, truth: Any, worst: bool) -> np.ndarray:
    """Labels in reading order; within tied scores, positives last (worst) or first (best)."""
    s = np.asarray(scores, dtype=np.float64)
    t = np.asarray(truth, dtype=bool)
    order = np.lexsort((t if worst else ~t, -s))
    return t[order]


def _found_range(scores: Any, truth: Any, k: int) -> tuple[int, int]:
    """Positives found in the first ``k`` read, over every order of tied scores."""
    return (int(_ordered_truth(scores, truth, True)[:k].sum()), int(_ordered_truth(scores, truth, False)[:k].sum()))


def _clauses_to_find(ordered: np.ndarray, target: float) -> int:
    need = target * ordered.sum() - 1e-9
    return int(np.argmax(np.cumsum(ordered) >= need)) + 1


def _read_count(n: int, budget: float) -> int:
    from kogadx.regulation.ranking import budget_size

    return budget_size(n, budget)


@_never_raise
def check_recall_at_budget(recall_function: Any, scores: Any = None, is_analog: Any = None,
                           budget: float = 0.1) -> bool:
    """Exercise 12: ``recall_at_budget(scores, is_analog, budget)`` → the share of analog clauses
    found by reading the top ``ceil(budget × n)`` clauses by score. Run on ranked lists the check
    draws and on the notebook's (any order of tied scores is accepted)."""
    rng = _rng(1750)
    cases: list[tuple[Any, ...]] = [(*_draw_ranked(i), float(rng.choice([0.05, 0.1, 0.15, 0.2, 0.3])))
                                    for i in range(N_DRAWS)]
    if scores is not None and is_analog is not None:
        cases.append((np.asarray(scores, float), np.asarray(is_analog, bool), float(budget)))

    def reference(s: Any, t: Any, b: float) -> tuple[float, float]:
        positives = float(np.asarray(t, bool).sum())
        low, high = _found_range(s, t, _read_count(len(t), b))
        return low / positives, high / positives

    def same(got: Any, right: tuple[float, float]) -> bool:
        value = _as_float(got)
        if value is None:
            raise TypeError("数値ではない値が返りました")
        return right[0] - 1e-9 <= value <= right[1] + 1e-9

    def hint(got: Any, right: tuple[float, float], case: tuple[Any, ...]) -> str:
        s, t, b = case
        t = np.asarray(t, bool)
        value = float(got)
        k = _read_count(len(t), b)
        best = _ordered_truth(s, t, False)
        if _close(value, best[:k].sum() / k, rel=1e-6):
            return ("それは読んだ条項のうち該当の割合 (適合率) です。"
                    "再現率は「該当の条項全体のうち、見つかった割合」です。")
        if _close(value, best[: int(np.floor(b * len(t)))].sum() / t.sum(), rel=1e-6) and k != int(b * len(t)):
            return "読む条項数は budget × 条項数 を切り上げます (math.ceil)。"
        if _close(value, np.asarray(t)[np.argsort(np.asarray(s, float))][:k].sum() / t.sum(), rel=1e-6):
            return "スコアの高い順 (降順) に読みます。"
        if value > 1 + 1e-9:
            return "割合 (0〜1) で返します。"
        return "スコアの高い順に並べ、先頭から ceil(budget × 条項数) 件に入った該当の数 ÷ 該当の総数 です。"

    return _run_cases(recall_function, "recall_at_budget(scores, is_analog, budget)", cases, reference, same, hint)


@_never_raise
def check_clauses_to_find(find_function: Any, scores: Any = None, is_analog: Any = None,
                          target: float = 0.8) -> bool:
    """Exercise 12: ``clauses_to_find(scores, is_analog, target)`` → the fewest clauses staff
    read from the top of the list to find at least ``target`` (a share) of the analog clauses."""
    rng = _rng(1760)
    cases: list[tuple[Any, ...]] = [(*_draw_ranked(10 + i), float(rng.choice([0.5, 0.7, 0.8, 0.9])))
                                    for i in range(N_DRAWS)]
    if scores is not None and is_analog is not None:
        cases.append((np.asarray(scores, float), np.asarray(is_analog, bool), float(target)))

    def reference(s: Any, t: Any, share: float) -> tuple[int, int]:
        return (_clauses_to_find(_ordered_truth(s, t, False), share),
                _clauses_to_find(_ordered_truth(s, t, True), share))

    def same(got: Any, right: tuple[int, int]) -> bool:
        value = _as_float(got)
        if value is None:
            raise TypeError("数値ではない値が返りました")
        return value == int(value) and right[0] <= int(value) <= right[1]

    def hint(got: Any, right: tuple[int, int], case: tuple[Any, ...]) -> str:
        s, t, share = case
        value = _as_float(got)
        if value is None or value != int(value):
            return "読む条項の数 (整数) を返します。"
        if int(value) == int(np.ceil(share * np.asarray(t, bool).sum() - 1e-9)):
            return "それは見つけたい該当の条項の数です。読む条項の数 (該当でない条項も含めて上から数える) を返します。"
        if int(value) == right[0] - 1:
            return "1 件足りません。「目標の割合以上」になった最初の位置を、1 から数えた件数で返しましょう。"
        if int(value) > right[1]:
            return "多すぎます。上から読んでいき、見つかった割合が目標に「初めて届いた」ところで止めます。"
        return "スコアの高い順に並べ、見つかった該当の累積 (cumsum) ÷ 該当の総数 が目標以上になる最初の件数です。"

    return _run_cases(find_function, "clauses_to_find(scores, is_analog, target)", cases, reference, same, hint)


def _expected_recall(probabilities: Any, budget: float) -> float:
    p = np.sort(np.asarray(probabilities, dtype=np.float64))[::-1]
    return float(p[: _read_count(len(p), budget)].sum() / p.sum())


@_never_raise
def check_expected_recall(expected_function: Any, probabilities: Any = None, budget: float = 0.1) -> bool:
    """Exercise 12: ``expected_recall(probabilities, budget)`` → on a list nobody has judged yet,
    the share of analog clauses expected in the top ``ceil(budget × n)``: the sum of the top
    probabilities ÷ the sum of all (valid when the probabilities are calibrated)."""
    cases: list[tuple[Any, ...]] = []
    for i in range(N_DRAWS):
        rng = _rng(1780 + i)
        cases.append((rng.beta(0.4, 4.0, int(rng.integers(40, 200))), float(rng.choice([0.05, 0.1, 0.2]))))
    if probabilities is not None:
        cases.append((np.asarray(probabilities, float), float(budget)))

    def hint(got: Any, right: Any, case: tuple[Any, ...]) -> str:
        p, b = np.asarray(case[0], float), case[1]
        k = _read_count(len(p), b)
        top = np.sort(p)[::-1][:k]
        value = float(got)
        if _close(value, float(top.sum()), rel=1e-6):
            return "それは上位に入る該当の「件数」の見込みです。全体の見込み件数 (確率の合計) で割って割合にします。"
        if _close(value, float(top.mean()), rel=1e-6):
            return ("それは上位の条項の確率の平均 (適合率の見込み) です。"
                    "再現率は「全体の見込み件数のうち上位に入る割合」です。")
        return _numeric_hint(value, float(right), "見込みの再現率", share=True)

    return _run_cases(expected_function, "expected_recall(probabilities, budget)", cases, _expected_recall,
                      _same_number(1e-6), hint)
