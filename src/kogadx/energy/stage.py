"""The ``co2`` stage: business energy in, emissions, baselines, forecast and scenarios out.

:func:`run_co2` is pure (frames and typed params in, :class:`kogadx.stage.StageOutputs`
out); ``pipelines/co2.py`` reads the inputs and writes the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from kogadx.energy.baseline import (
    BaselineResult,
    business_g14_summary,
    fill_with_baseline,
    fit_baselines,
    forecast_baselines,
    weather_normalised_use,
)
from kogadx.energy.clean import CleanResult, clean_monthly_energy
from kogadx.energy.emissions import compute_emissions, fiscal_year_of, summarize_emissions
from kogadx.energy.factors import check_emission_factors, select_emission_factors
from kogadx.energy.params import Co2Params
from kogadx.energy.scenarios import business_scenarios, city_scenarios
from kogadx.energy.schema import BUSINESS_HEADERS
from kogadx.energy.weather import load_monthly_degree_days
from kogadx.params import as_dict
from kogadx.stage import ExcelCsvFile, StageOutputs, TrackedRun

# Significant digits of every written float: the baselines are least-squares fits whose
# LAPACK/BLAS kernels differ by CPU from the 11th digit on (standard errors of ill-scaled
# designs), so six digits make the outputs the same bytes on every machine.
FLOAT_DIGITS = 6
BUSINESS_COLUMNS = ("business_id", "sector_code", "sector_name", "employees", "floor_area_m2", "town_code")


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
    example_business_id: str
    sector_names: dict[str, str]


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
    run = TrackedRun("co2", "baseline_ols", params=as_dict(params), metrics=metrics, artifacts={"figures": "figures"},
                     attachments={"baseline/baseline_models.csv": ExcelCsvFile(results.tables["baseline_models"])})
    return StageOutputs(
        tables={f"tables/{name}.parquet": table for name, table in results.tables.items()},
        figures={f"figures/{name}.png": figure for name, figure in figures.items()},
        plots={"plots/city_monthly_emissions.csv": plot},
        metrics=metrics,
        runs=[run],
        summary=f"co2: {metrics['n_businesses']} 事業所, Guideline 14 合格 "
                f"{100 * metrics['baseline']['businesses_pass_g14_share']:.1f}%",
        float_digits=FLOAT_DIGITS,
    )


def compute_co2(inputs: Co2Inputs, params: Co2Params) -> Co2Results:
    """Clean → baseline → fill gaps → emissions → normalise → forecast → scenarios.

    Emissions use one fiscal year's factors (``params.fiscal_year``).
    """
    businesses = canonicalize_businesses(inputs.businesses)
    dd = load_monthly_degree_days(inputs.weather, params.degree_days.base_cooling_c, params.degree_days.base_heating_c)
    clean = clean_monthly_energy(inputs.energy, (params.period.start, params.period.end), params.cleaning)
    unknown = sorted(set(clean.energy["business_id"]) - set(businesses["business_id"]))
    if unknown:
        raise ValueError(f"事業所マスタにない事業所IDがエネルギー表にあります: {', '.join(unknown[:5])}")
    base = fit_baselines(clean.energy, dd, params.baseline)
    filled = fill_with_baseline(clean.energy, base.predictions)
    factor_table = check_emission_factors(inputs.factors, inputs.factors_file)
    factors = select_emission_factors(factor_table, params.fiscal_year, params.electricity_basis, params.fuel_basis)
    emissions = compute_emissions(filled, factors, value_column="value_filled")
    summaries = summarize_emissions(emissions, businesses)

    yoy = _weather_normalised_yoy(base, dd, factors)

    forecast = forecast_baselines(base.models, base.predictions, dd, params.forecast)
    forecast = forecast.merge(factors[["fuel", "factor"]], on="fuel")
    forecast["t_co2"] = compute_emissions(forecast.assign(status="forecast"), factors, "predicted")["t_co2"].to_numpy()

    fy = emissions.groupby("fiscal_year")["year_month"].nunique()
    latest_fy = int(fy[fy == 12].index.max())
    annual = (filled.assign(fiscal_year=fiscal_year_of(filled["year_month"]))
              .query("fiscal_year == @latest_fy")
              .groupby(["business_id", "fuel"], as_index=False)["value_filled"].sum()
              .rename(columns={"value_filled": "amount"}))
    scen = business_scenarios(annual, businesses, factors, params.scenarios)
    city_scen = city_scenarios(scen)

    latest = emissions.loc[emissions["fiscal_year"] == latest_fy]
    intensity = latest.groupby("business_id", as_index=False)["t_co2"].sum().merge(businesses, on="business_id")
    intensity["t_co2_per_m2"] = intensity["t_co2"] / intensity["floor_area_m2"]
    intensity["t_co2_per_employee"] = intensity["t_co2"] / intensity["employees"]

    g14 = business_g14_summary(base.models)
    example = params.figures.example_business_id or str(sorted(g14["business_id"])[0])
    metrics = _metrics(businesses, emissions, summaries, clean, base, g14, city_scen, latest_fy, params)
    sector_names = (businesses.dropna(subset=["sector_name"]).drop_duplicates("sector_code")
                    .set_index("sector_code")["sector_name"].astype(str).to_dict())
    tables = {
        "emissions": emissions, "emissions_by_scope": summaries["by_scope"],
        "emissions_by_sector": summaries["by_sector"], "emissions_city_monthly": summaries["city_monthly"],
        "baseline_models": base.models, "baseline_predictions": base.predictions,
        "baseline_business_g14": g14, "weather_normalised_yoy": yoy, "forecast": forecast,
        "scenarios": scen, "scenarios_city": city_scen, "intensity": intensity,
        "flags": _flags(clean, base, params.baseline.anomaly_sigma), "quarantine": clean.quarantine,
        "degree_days": dd, "emission_factors_used": factors,
    }
    return Co2Results(tables=tables, metrics=metrics, example_business_id=example, sector_names=sector_names)


def _weather_normalised_yoy(base: BaselineResult, dd: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """t-CO2 per business and fiscal year, as recorded and with the weather of a normal year."""
    normal = weather_normalised_use(base.models, base.predictions, dd)
    norm_em = compute_emissions(normal.assign(status="ok"), factors, value_column="value")
    norm_em["t_co2_normalised"] = compute_emissions(normal, factors, value_column="value_normalised")["t_co2"]
    return norm_em.groupby(["business_id", "fiscal_year"], as_index=False)[["t_co2", "t_co2_normalised"]].sum()


def _flags(clean: CleanResult, base: BaselineResult, sigma: float) -> pd.DataFrame:
    """Cleaning flags plus the months far from their baseline (for the analyst to check)."""
    anomalies = (base.predictions.loc[base.predictions["anomaly"], ["business_id", "year_month", "fuel", "actual"]]
                 .assign(kind="baseline_anomaly", action="flagged", source_row=-1,
                         reason=f"ベースライン予測から大きく外れています (|残差| > {sigma:g}σ 相当)")
                 .rename(columns={"actual": "value_clean"}))
    flags = pd.concat([clean.flags, anomalies], ignore_index=True)
    flags["value_raw"] = flags["value_raw"].fillna("").astype(str)
    return flags


def _metrics(businesses: pd.DataFrame, emissions: pd.DataFrame, summaries: dict[str, pd.DataFrame],
             clean: CleanResult, base: BaselineResult, g14: pd.DataFrame, city_scen: pd.DataFrame, latest_fy: int,
             params: Co2Params) -> dict[str, Any]:
    """The headline numbers of the stage (metrics/co2.json)."""
    city_fy = summaries["city_fiscal_year"]
    latest_city = city_fy.loc[city_fy["fiscal_year"] == latest_fy].set_index("scope")["t_co2"]
    base_t = float(city_scen.loc[city_scen["step"] == "baseline", "t_co2"].iloc[0])
    after_t = float(city_scen.loc[city_scen["step"] == "after", "t_co2"].iloc[0])
    fitted = base.models.loc[base.models["status"] == "fitted"]
    return {
        "n_businesses": int(businesses["business_id"].nunique()),
        "fiscal_year_factors": params.fiscal_year,
        "latest_fiscal_year": latest_fy,
        "city_t_co2_latest_fy": float(latest_city.sum()),
        "city_scope1_t_co2_latest_fy": float(latest_city.get(1, 0.0)),
        "city_scope2_t_co2_latest_fy": float(latest_city.get(2, 0.0)),
        "estimated_share_of_t_co2": float(emissions.loc[emissions["is_estimated"], "t_co2"].sum()
                                          / emissions["t_co2"].sum()),
        "baseline": {
            "models_fitted": int(len(fitted)),
            "models_pass_g14_share": float(fitted["pass_g14"].mean()),
            "businesses_pass_g14_share": float(g14["pass_g14"].mean()),
            "median_cv_rmse": float(fitted["cv_rmse"].median()),
            "median_abs_holdout_nmbe": float(fitted["holdout_nmbe"].abs().median()),
            "anomaly_months": int(base.predictions["anomaly"].sum()),
        },
        "faults": {kind: int((clean.flags["kind"] == kind).sum())
                   for kind in ("unit_slip", "meter_reset", "missing_month", "invalid_value")}
                  | {"duplicate_quarantined": int((clean.quarantine["kind"] == "duplicate").sum()),
                     "quarantined_rows": int(len(clean.quarantine))},
        "scenario_city_reduction_t_co2": base_t - after_t,
        "scenario_city_reduction_share": (base_t - after_t) / base_t if base_t else float("nan"),
    }


def make_figures(outputs: Co2Results) -> dict[str, Any]:
    """The report figures: {file stem: matplotlib Figure}."""
    from kogadx.energy import figures as fg

    t = outputs.tables
    example = outputs.example_business_id
    emissions = t["emissions"]
    intensity = t["intensity"]
    sector = intensity.loc[intensity["business_id"] == example, "sector_code"]
    sector_code = str(sector.iloc[0]) if len(sector) else ""
    peers = intensity.loc[intensity["sector_code"] == sector_code]
    yoy_city = t["weather_normalised_yoy"]
    sector_label = outputs.sector_names.get(sector_code, sector_code)
    return {
        "city_monthly_emissions": fg.stacked_monthly_emissions(
            emissions, "古賀市内事業所の月別CO2排出量 (エネルギー源別)"),
        "business_monthly_emissions": fg.stacked_monthly_emissions(
            emissions.loc[emissions["business_id"] == example], "事業所の月別CO2排出量 (エネルギー源別)"),
        "city_weather_normalised_yoy": fg.weather_normalised_yoy(
            yoy_city, "年度別CO2排出量: 実績と気象補正後 (市内事業所合計)"),
        "business_weather_normalised_yoy": fg.weather_normalised_yoy(
            yoy_city.loc[yoy_city["business_id"] == example], "年度別CO2排出量: 実績と気象補正後 (事業所)"),
        "business_sector_position": fg.sector_position(peers, example, sector_label),
        "business_scenario_waterfall": fg.scenario_waterfall(
            t["scenarios"].loc[t["scenarios"]["business_id"] == example], "削減対策の効果 (事業所, t-CO2/年)"),
        "city_scenario_waterfall": fg.scenario_waterfall(
            t["scenarios_city"], "削減対策の効果 (市内事業所合計, t-CO2/年)"),
    }

