"""Emissions (t-CO2) per business × month × source, and Scope 1 / Scope 2 summaries.

t-CO2 = amount [native unit] ÷ divisor (→ factor unit) × factor [t-CO2 / factor unit].
Electricity is Scope 2 (purchased); every fuel burned on site is Scope 1.
"""

from __future__ import annotations

import pandas as pd

from kogadx.energy.schema import FUEL_BY_KEY, UNIT_TO_FACTOR_UNIT


def fiscal_year_of(year_month: pd.Series) -> pd.Series:
    """Japanese fiscal year (April–March) of "YYYY-MM" strings, e.g. 2022-03 → 2021."""
    year = year_month.str.slice(0, 4).astype(int)
    month = year_month.str.slice(5, 7).astype(int)
    return year - (month < 4).astype(int)


def compute_emissions(energy: pd.DataFrame, factors: pd.DataFrame, value_column: str = "value") -> pd.DataFrame:
    """Emissions for each row of a long energy table.

    ``energy`` needs business_id, year_month, fuel and ``value_column`` (native unit:
    kWh, m3, kg, L). ``factors`` is :func:`kogadx.energy.factors.select_emission_factors`
    output. Returns business_id, year_month, fiscal_year, fuel, scope, amount, unit,
    amount_factor_unit, factor_unit, factor [t-CO2/factor_unit], t_co2 (plus any of
    is_estimated / status carried over). Rows with a NaN amount get NaN t_co2.
    """
    table = factors.set_index("fuel")
    unknown = sorted(set(energy["fuel"]) - set(table.index))
    if unknown:
        raise ValueError(f"排出係数がない燃料があります: {', '.join(unknown)}")
    out = energy.loc[:, [c for c in ("business_id", "year_month", "fuel", "status", "is_estimated")
                         if c in energy.columns]].copy()
    out["amount"] = energy[value_column].astype(float)
    out["unit"] = out["fuel"].map(lambda f: FUEL_BY_KEY[f].unit)
    out["factor_unit"] = out["fuel"].map(table["unit"])
    divisor = [UNIT_TO_FACTOR_UNIT[(u, fu)] for u, fu in zip(out["unit"], out["factor_unit"], strict=True)]
    out["amount_factor_unit"] = out["amount"] / pd.Series(divisor, index=out.index, dtype=float)
    out["factor"] = out["fuel"].map(table["factor"]).astype(float)
    out["t_co2"] = out["amount_factor_unit"] * out["factor"]
    out["scope"] = out["fuel"].map(lambda f: FUEL_BY_KEY[f].scope).astype(int)
    out["fiscal_year"] = fiscal_year_of(out["year_month"])
    return out


def summarize_emissions(emissions: pd.DataFrame, businesses: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Monthly totals by scope, by sector and for the city (t-CO2).

    Returns {"by_scope": year_month × scope, "by_sector": fiscal_year × sector_code × scope,
    "city_monthly": year_month × fuel, "city_fiscal_year": fiscal_year × scope}.
    """
    merged = emissions.merge(businesses[["business_id", "sector_code"]], on="business_id", how="left")
    by_scope = merged.groupby(["year_month", "scope"], as_index=False)["t_co2"].sum()
    by_sector = merged.groupby(["fiscal_year", "sector_code", "scope"], as_index=False)["t_co2"].sum()
    city_monthly = merged.groupby(["year_month", "fuel"], as_index=False)["t_co2"].sum()
    city_fy = merged.groupby(["fiscal_year", "scope"], as_index=False)["t_co2"].sum()
    return {"by_scope": by_scope, "by_sector": by_sector, "city_monthly": city_monthly,
            "city_fiscal_year": city_fy}


def compute_business_emissions(energy: pd.DataFrame, factor_rows: pd.DataFrame,
                               value_column: str = "value") -> pd.DataFrame:
    """Emissions with each business's own factors (:func:`kogadx.energy.factors.business_factors`
    rows of one fiscal year): ``t_co2`` under the basic and ``t_co2_adjusted`` under the adjusted
    factor; ``factor_status`` / ``factor_reason`` say why a row has none (NaN, never 0)."""
    keep = [c for c in ("business_id", "year_month", "fuel", "status", "is_estimated") if c in energy.columns]
    out = energy.loc[:, keep].copy()
    out["amount"] = energy[value_column].astype(float)
    rows = factor_rows.drop(columns=["fiscal_year"]).drop_duplicates(["business_id", "fuel"])
    out = out.merge(rows, on=["business_id", "fuel"], how="left")
    out["factor_status"] = out["factor_status"].fillna("missing")
    out["factor_reason"] = out["factor_reason"].fillna("排出係数の行がありません")
    out["unit"] = out["fuel"].map(lambda f: FUEL_BY_KEY[f].unit)
    out["factor_unit"] = out["fuel"].map(lambda f: FUEL_BY_KEY[f].factor_unit)
    divisor = [UNIT_TO_FACTOR_UNIT[(u, fu)] for u, fu in zip(out["unit"], out["factor_unit"], strict=True)]
    out["amount_factor_unit"] = out["amount"] / pd.Series(divisor, index=out.index, dtype=float)
    out["factor"] = out["factor_basic"]
    out["t_co2"] = out["amount_factor_unit"] * out["factor_basic"]
    out["t_co2_adjusted"] = out["amount_factor_unit"] * out["factor_adjusted"]
    out["scope"] = out["fuel"].map(lambda f: FUEL_BY_KEY[f].scope).astype(int)
    out["fiscal_year"] = fiscal_year_of(out["year_month"])
    return out
