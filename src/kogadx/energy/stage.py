"""The ``co2`` stage: business energy in, emissions, baselines, forecast and scenarios out.

:func:`run_co2` is pure (frames and typed params in, :class:`kogadx.stage.StageOutputs`
out); ``pipelines/co2.py`` reads the inputs and writes the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from kogadx.energy.baseline import business_g14_summary, fit_baselines
from kogadx.energy.caltrack import daily_mean_temperature
from kogadx.energy.clean import CleanResult, clean_monthly_energy, parse_year_month
from kogadx.energy.emissions import compute_business_emissions, summarize_emissions
from kogadx.energy.factors import business_factors, check_emission_factors, select_emission_factors
from kogadx.energy.mv import MvResult, measure_savings
from kogadx.energy.normalise import CaltrackPeriodResult, fill_gaps, fit_period_models, forecast, weather_normalised
from kogadx.energy.params import Co2Params
from kogadx.energy.scenarios import business_scenarios, city_scenarios
from kogadx.energy.schema import BUSINESS_HEADERS, FUEL_BY_KEY, UNIT_TO_FACTOR_UNIT
from kogadx.energy.weather import load_monthly_degree_days
from kogadx.params import as_dict
from kogadx.stage import ExcelCsvFile, StageOutputs, TrackedRun

# Significant digits of every written float: the baselines are least-squares fits whose
# LAPACK/BLAS kernels differ by CPU from the 11th digit on (standard errors of ill-scaled
# designs), so six digits make the outputs the same bytes on every machine.
FLOAT_DIGITS = 6
BUSINESS_HEADER_OF = {v: k for k, v in BUSINESS_HEADERS.items()}
UNIT_DIVISOR = {key: UNIT_TO_FACTOR_UNIT[(f.unit, f.factor_unit)] for key, f in FUEL_BY_KEY.items()}
BUSINESS_COLUMNS = ("business_id", "sector_code", "sector_name", "employees", "floor_area_m2", "town_code",
                    "electricity_supplier", "electricity_menu", "intervention_month")


@dataclass(frozen=True)
class Co2Inputs:
    """The stage's inputs: the pseudonymized business master and monthly energy, hourly
    weather (time, temperature_c) or monthly degree days, and the emission-factor table
    as text (``factors_file`` names it in messages)."""

    businesses: pd.DataFrame
    energy: pd.DataFrame
    weather: pd.DataFrame
    factors: pd.DataFrame
    factors_file: str = "emission_factors.csv"


@dataclass
class Co2Results:
    """Tables by name, metrics and what the figures need (see :func:`compute_co2`)."""

    tables: dict[str, pd.DataFrame]
    metrics: dict[str, Any]
    factor_year: int = 0
    metrics_excluded: frozenset[str] = frozenset()


def canonicalize_businesses(raw: pd.DataFrame) -> pd.DataFrame:
    """Business master with canonical columns; contact columns are never needed or kept."""
    frame = raw.rename(columns=BUSINESS_HEADERS)
    for column in ("business_id", "sector_code"):
        if column not in frame.columns:
            raise ValueError(f"事業所マスタに必須列 {column} がありません")
    out = pd.DataFrame({c: frame[c] if c in frame.columns else pd.NA for c in BUSINESS_COLUMNS})
    out["business_id"] = out["business_id"].astype("string").str.strip()
    out["sector_code"] = out["sector_code"].astype("string").str.strip().str.zfill(2)
    out["sector_name"] = out["sector_name"].astype("string")
    out["town_code"] = out["town_code"].astype("string")
    for column in ("electricity_supplier", "electricity_menu"):
        out[column] = out[column].astype("string").fillna("").str.strip()
    months = [parse_year_month(v) if isinstance(v, str) and v.strip() else None for v in out["intervention_month"]]
    bad = [i for i, (v, m) in enumerate(zip(out["intervention_month"], months, strict=True))
           if isinstance(v, str) and v.strip() and m is None]
    if bad:
        raise ValueError(f"事業所マスタの列「{BUSINESS_HEADER_OF['intervention_month']}」を読めない行があります:"
                         f" {', '.join(str(i + 2) for i in bad[:5])} 行目 (例 2023/04)")
    out["intervention_month"] = pd.Series(months, index=out.index, dtype="string")
    for column in ("employees", "floor_area_m2"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    return out


def run_co2(inputs: Co2Inputs, params: Co2Params) -> StageOutputs:
    """The stage: result tables, figures, the city's monthly series, metrics, one MLflow run."""
    results = compute_co2(inputs, params)
    figures = make_figures(results)
    by_scope = results.tables["emissions_by_scope"]
    monthly = by_scope.pivot_table(index="year_month", columns="scope", values="t_co2", aggfunc="sum").fillna(0.0)
    plot = pd.DataFrame({"year_month": monthly.index.astype(str),
                         "scope1_t_co2": monthly.get(1, 0.0).to_numpy(float),
                         "scope2_t_co2": monthly.get(2, 0.0).to_numpy(float)})
    metrics = results.metrics
    run = TrackedRun("co2", "baseline_caltrack", params=as_dict(params), metrics=metrics,
                     artifacts={"figures": "figures"},
                     attachments={"baseline/mv_models.csv": ExcelCsvFile(results.tables["mv_models"])})
    return StageOutputs(
        tables={f"tables/{name}.parquet": table for name, table in results.tables.items()},
        figures={f"figures/{name}.png": figure for name, figure in figures.items()},
        plots={"plots/city_monthly_emissions.csv": plot},
        metrics=metrics,
        runs=[run],
        summary=f"co2: {metrics['n_businesses']} 事業所, CalTRACK ベースライン Guideline 14 合格 "
                f"{100 * metrics['baseline']['models_pass_g14_share']:.1f}% (メーター単位)",
        float_digits=FLOAT_DIGITS,
    )


def compute_co2(inputs: Co2Inputs, params: Co2Params) -> Co2Results:
    """Clean → M&V (CalTRACK) → per-business CalTRACK models → gap filling → emissions →
    weather normalisation → forecast → scenarios.

    Gap filling, normalisation and the forecast use each business's own CalTRACK models
    (:mod:`kogadx.energy.normalise`: own balance points, a segment before and after a measure).
    The fixed-base OLS of :mod:`kogadx.energy.baseline` (22/14 °C degree days and operating days)
    is still written as ``baseline_models`` / ``baseline_predictions`` for PBL notebook 05, which
    refits it by hand; no figure or total uses it.

    Emissions use each business's supplier and menu with the factors for activity year
    ``params.fiscal_year`` (the headline year); the monthly series and the weather-normalised
    years are shown at those same factors (stated on the figures), so that only use changes.
    """
    businesses = canonicalize_businesses(inputs.businesses)
    dd = load_monthly_degree_days(inputs.weather, params.degree_days.base_cooling_c, params.degree_days.base_heating_c)
    clean = clean_monthly_energy(inputs.energy, (params.period.start, params.period.end), params.cleaning)
    unknown = sorted(set(clean.energy["business_id"]) - set(businesses["business_id"]))
    if unknown:
        raise ValueError(f"事業所マスタにない事業所IDがエネルギー表にあります: {', '.join(unknown[:5])}")
    mv = measure_savings(clean.energy, daily_mean_temperature(inputs.weather),
                         businesses[["business_id", "intervention_month"]], params.mv,
                         {f: FUEL_BY_KEY[f].unit for f in FUEL_BY_KEY})
    base = fit_baselines(clean.energy, dd, params.baseline)
    periods = fit_period_models(clean.energy, daily_mean_temperature(inputs.weather),
                                businesses[["business_id", "intervention_month"]], params.mv,
                                params.baseline.anomaly_sigma)
    filled = fill_gaps(clean.energy, periods.predictions)
    factor_table = check_emission_factors(inputs.factors, inputs.factors_file)
    supply = businesses[["business_id"]].assign(supplier=businesses["electricity_supplier"],
                                                menu=businesses["electricity_menu"])
    rows = business_factors(factor_table, supply, [params.fiscal_year], params.fuel_basis)
    factor_status = rows.loc[rows["factor_status"] != "ok"].reset_index(drop=True)
    no_factor = set(factor_status["business_id"])
    emissions = compute_business_emissions(filled, rows, value_column="value_filled")
    counted = emissions.loc[~emissions["business_id"].isin(no_factor)]
    summaries = summarize_emissions(counted, businesses)
    mv_models = _avoided_emissions(mv, rows, no_factor)

    yoy = _weather_normalised_yoy(periods, rows, no_factor)
    ahead = forecast(periods, params.forecast)
    ahead = ahead.loc[~ahead["business_id"].isin(no_factor)].reset_index(drop=True)
    # The forecast year has no published factor yet: converted at the headline year's, as stated.
    forecast_em = compute_business_emissions(ahead.assign(status="forecast"), rows, "predicted")
    ahead["t_co2"] = forecast_em["t_co2"].to_numpy()

    latest_fy = params.fiscal_year
    annual = (counted.loc[counted["fiscal_year"] == latest_fy]
              .groupby(["business_id", "fuel"], as_index=False)["amount"].sum())
    headline = select_emission_factors(factor_table, latest_fy, "basic", params.fuel_basis)
    adjusted = select_emission_factors(factor_table, latest_fy, "adjusted", params.fuel_basis)
    scen = business_scenarios(annual, businesses, headline, params.scenarios, "basic")
    city_scen = city_scenarios(scen)
    city_scen_adj = city_scenarios(business_scenarios(annual, businesses, adjusted, params.scenarios, "adjusted"))

    latest = counted.loc[counted["fiscal_year"] == latest_fy]
    intensity = latest.groupby("business_id", as_index=False)["t_co2"].sum().merge(businesses, on="business_id")
    intensity["t_co2_per_m2"] = intensity["t_co2"] / intensity["floor_area_m2"]
    intensity["t_co2_per_employee"] = intensity["t_co2"] / intensity["employees"]

    g14 = business_g14_summary(mv.models)
    metrics = _metrics(businesses, counted, summaries, clean, periods, mv_models, city_scen, city_scen_adj,
                       latest_fy, no_factor)
    tables = {
        "emissions": emissions, "emissions_by_scope": summaries["by_scope"],
        "emissions_by_sector": summaries["by_sector"], "emissions_city_monthly": summaries["city_monthly"],
        "mv_models": mv_models, "mv_monthly": mv.monthly,
        "baseline_models": base.models, "baseline_predictions": base.predictions,
        "caltrack_models": periods.models, "caltrack_predictions": periods.predictions,
        "baseline_business_g14": g14, "weather_normalised_yoy": yoy, "forecast": ahead,
        "scenarios": scen, "scenarios_city": city_scen, "scenarios_city_adjusted": city_scen_adj,
        "intensity": intensity,
        "flags": _flags(clean, periods, params.baseline.anomaly_sigma), "quarantine": clean.quarantine,
        "degree_days": dd, "emission_factors_used": rows, "emission_factor_status": factor_status,
        "emission_factor_table": factor_table,
    }
    return Co2Results(tables=tables, metrics=metrics,
                      factor_year=latest_fy, metrics_excluded=frozenset(no_factor))


def _avoided_emissions(mv: MvResult, rows: pd.DataFrame, no_factor: set[str]) -> pd.DataFrame:
    """M&V rows with the avoided t-CO2 (basic and adjusted) of the savings and its interval."""
    out = mv.models.merge(rows[["business_id", "fuel", "factor_basic", "factor_adjusted"]],
                          on=["business_id", "fuel"], how="left")
    divisor = out["fuel"].map(lambda f: UNIT_DIVISOR[f]).astype(float)
    for col, factor in (("avoided_t_co2", "factor_basic"), ("avoided_t_co2_adjusted", "factor_adjusted")):
        out[col] = out["savings"] / divisor * out[factor]
    out["avoided_t_co2_half_width"] = out["savings_half_width"] / divisor * out["factor_basic"]
    out.loc[out["business_id"].isin(no_factor) & (out["fuel"] == "electricity"), "reason"] = (
        out["reason"].fillna("") + " 排出係数がないため回避排出量は計算していません").str.strip()
    return out


def _weather_normalised_yoy(periods: CaltrackPeriodResult, rows: pd.DataFrame, no_factor: set[str]) -> pd.DataFrame:
    """t-CO2 per business and fiscal year, as recorded and with the weather of a normal year
    (all years at the headline year's factors, so that only use and weather change)."""
    normal = weather_normalised(periods.models, periods.predictions)
    normal = normal.loc[~normal["business_id"].isin(no_factor)]
    norm_em = compute_business_emissions(normal.assign(status="ok"), rows, value_column="value")
    norm_em["t_co2_normalised"] = compute_business_emissions(normal, rows, value_column="value_normalised")["t_co2"]
    return norm_em.groupby(["business_id", "fiscal_year"], as_index=False)[["t_co2", "t_co2_normalised"]].sum()


def _flags(clean: CleanResult, periods: CaltrackPeriodResult, sigma: float) -> pd.DataFrame:
    """Cleaning flags plus the months far from their CalTRACK model (for the analyst to check)."""
    preds = periods.predictions
    anomalies = (preds.loc[preds["anomaly"].astype(bool), ["business_id", "year_month", "fuel", "actual"]]
                 .assign(kind="baseline_anomaly", action="flagged", source_row=-1,
                         reason=f"ベースライン予測から大きく外れています (|残差| > {sigma:g}σ 相当)")
                 .rename(columns={"actual": "value_clean"}))
    flags = pd.concat([clean.flags, anomalies], ignore_index=True)
    flags["value_raw"] = flags["value_raw"].fillna("").astype(str)
    return flags


def _metrics(businesses: pd.DataFrame, emissions: pd.DataFrame, summaries: dict[str, pd.DataFrame],
             clean: CleanResult, periods: CaltrackPeriodResult, mv: pd.DataFrame, city_scen: pd.DataFrame,
             city_scen_adj: pd.DataFrame, latest_fy: int, no_factor: set[str]) -> dict[str, Any]:
    """The headline numbers of the stage (metrics/co2.json). ``city_*`` keys are the total of the
    businesses in the data (対象事業所の合計), not the whole city."""
    city_fy = summaries["city_fiscal_year"]
    latest_city = city_fy.loc[city_fy["fiscal_year"] == latest_fy].set_index("scope")["t_co2"]
    latest_rows = emissions.loc[emissions["fiscal_year"] == latest_fy]

    def reduction(frame: pd.DataFrame) -> tuple[float, float]:
        base_t = float(frame.loc[frame["step"] == "baseline", "t_co2"].iloc[0])
        after_t = float(frame.loc[frame["step"] == "after", "t_co2"].iloc[0])
        return base_t - after_t, (base_t - after_t) / base_t if base_t else float("nan")

    red, red_share = reduction(city_scen)
    red_adj, red_adj_share = reduction(city_scen_adj)
    fitted = mv.loc[mv["status"] == "fitted"]
    measured = fitted.loc[fitted["intervention_month"] != ""]
    checked = fitted.loc[fitted["reporting_check"].isin(["pass", "fail"])]
    return {
        "n_businesses": int(businesses["business_id"].nunique()),
        "n_businesses_counted": int(businesses["business_id"].nunique() - len(no_factor)),
        "n_businesses_without_factor": len(no_factor),
        "fiscal_year_factors": latest_fy,
        "latest_fiscal_year": latest_fy,
        "city_t_co2_latest_fy": float(latest_city.sum()),
        "city_t_co2_adjusted_latest_fy": float(latest_rows["t_co2_adjusted"].sum()),
        "city_scope1_t_co2_latest_fy": float(latest_city.get(1, 0.0)),
        "city_scope2_t_co2_latest_fy": float(latest_city.get(2, 0.0)),
        "estimated_share_of_t_co2": float(latest_rows.loc[latest_rows["is_estimated"], "t_co2"].sum()
                                          / latest_rows["t_co2"].sum()),
        "baseline": {
            "method": "CalTRACK 2.0 billing (monthly), ASHRAE Guideline 14",
            "meters": int(len(mv)),
            "models_fitted": int(len(fitted)),
            "status_counts": {k: int(v) for k, v in mv["status"].value_counts().sort_index().items()},
            "model_type_counts": {k: int(v) for k, v in fitted["model_type"].value_counts().sort_index().items()},
            "models_pass_g14_share": float(fitted["pass_g14"].astype(bool).mean()),
            "businesses_pass_g14_share": float(fitted.groupby("business_id")["pass_g14"].all().mean()),
            "median_cv_rmse": float(fitted["cv_rmse"].median()),
            "median_abs_nmbe": float(fitted["nmbe"].abs().median()),
            "reporting_check_pass_share": float((checked["reporting_check"] == "pass").mean()),
            "measures": int(len(measured)),
            "measured_savings_native_total": {k: float(v)
                                              for k, v in measured.groupby("fuel")["savings"].sum().items()},
            "avoided_t_co2": float(measured["avoided_t_co2"].sum()),
            "anomaly_months": int(periods.predictions["anomaly"].astype(bool).sum()),
        },
        "faults": {kind: int((clean.flags["kind"] == kind).sum())
                   for kind in ("unit_slip", "meter_reset", "missing_month", "invalid_value")}
                  | {"duplicate_quarantined": int((clean.quarantine["kind"] == "duplicate").sum()),
                     "quarantined_rows": int(len(clean.quarantine))},
        "scenario_city_reduction_t_co2": red,
        "scenario_city_reduction_share": red_share,
        "scenario_city_reduction_t_co2_adjusted": red_adj,
        "scenario_city_reduction_share_adjusted": red_adj_share,
    }


def make_figures(outputs: Co2Results) -> dict[str, Any]:
    """The report figures: {file stem: matplotlib Figure}.

    Only sums over the businesses: a single business's own charts (its monthly use, its place in
    its sector) could identify it in a shareable folder, so they are drawn only on the business's
    own sheet (`kogadx report business-sheet`), never here.
    """
    from kogadx.energy import figures as fg

    t = outputs.tables
    emissions = t["emissions"]
    return {
        "city_monthly_emissions": fg.stacked_monthly_emissions(
            emissions.loc[~emissions["business_id"].isin(outputs.metrics_excluded)],
            f"対象事業所の合計: 月別CO2排出量 (エネルギー源別, {outputs.factor_year}年度の係数)"),
        "city_weather_normalised_yoy": fg.weather_normalised_yoy(
            t["weather_normalised_yoy"],
            f"年度別CO2排出量: 実績と気象補正後 (対象事業所の合計, {outputs.factor_year}年度の係数)"),
        "city_scenario_waterfall": fg.scenario_waterfall(
            t["scenarios_city"], "削減対策の効果 (対象事業所の合計, 基礎排出係数, t-CO2/年)"),
    }

