"""Emission factors (温対法) as versioned data and the rule that picks one per fuel.

The table ``emission_factors.csv`` shipped in this package has one row per
(fiscal_year, fuel, basis): ``factor`` is t-CO2 per ``unit`` (kWh, 千m3, t, kL).

Selection rule (documented because the source facts are partial):
- electricity factors are published per fiscal year by the utility (九州電力); the
  requested fiscal year must exist with the requested basis (``basic`` / ``adjusted``),
  otherwise :class:`EmissionFactorError` — a year is never silently borrowed;
- fuel factors change only when the ministerial ordinance changes; for each fuel the
  row with the latest ``fiscal_year`` ≤ the requested year is used (``fuel_basis="auto"``),
  or a basis (``old`` / ``new``) is forced, whatever its year (latest row of that basis).
"""

from __future__ import annotations

import io

import pandas as pd

from kogadx.energy.schema import FUEL_BY_KEY, FUEL_KEYS
from kogadx.errors import UserFacingError
from kogadx.io import read_package_file

FACTOR_COLUMNS = ("fiscal_year", "fuel", "unit", "factor", "basis", "source")
ELECTRICITY_BASES = ("basic", "adjusted")
FUEL_BASES = ("auto", "old", "new")


class EmissionFactorError(UserFacingError, ValueError):
    """The factor table lacks what was asked for (year, basis or fuel)."""


FACTOR_FILE = "emission_factors.csv"


def load_emission_factors() -> pd.DataFrame:
    """The packaged, versioned emission-factor table, checked (:func:`check_emission_factors`)."""
    raw = read_package_file("kogadx.energy", FACTOR_FILE)
    table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return check_emission_factors(table, FACTOR_FILE)


def check_emission_factors(table: pd.DataFrame, source: str = FACTOR_FILE) -> pd.DataFrame:
    """Check an emission-factor table read as text (one row per year × fuel × basis).

    ``source`` names the file in messages. Raises :class:`EmissionFactorError` naming the
    file, row and column on a bad value; returns the typed columns of ``FACTOR_COLUMNS``.
    """
    path = source
    missing = [c for c in FACTOR_COLUMNS if c not in table.columns]
    if missing:
        raise EmissionFactorError(f"{path}: 列がありません: {', '.join(missing)}")
    out = table.loc[:, list(FACTOR_COLUMNS)].copy()
    for column, caster in (("fiscal_year", int), ("factor", float)):
        values = []
        for row, raw in enumerate(out[column], start=2):  # row 1 is the header
            try:
                values.append(caster(raw))
            except ValueError as exc:
                raise EmissionFactorError(f"{path}: {row} 行目の列 {column} が数値ではありません: {raw!r}") from exc
        out[column] = values
    for row, (fuel, unit) in enumerate(zip(out["fuel"], out["unit"], strict=True), start=2):
        if fuel not in FUEL_BY_KEY:
            raise EmissionFactorError(f"{path}: {row} 行目の列 fuel が未知の燃料です: {fuel!r}")
        if unit != FUEL_BY_KEY[fuel].factor_unit:
            raise EmissionFactorError(
                f"{path}: {row} 行目の列 unit は {FUEL_BY_KEY[fuel].factor_unit} であるべきです: {unit!r}"
            )
    if (out["factor"] < 0).any():
        row = int(out.index[out["factor"] < 0][0]) + 2
        raise EmissionFactorError(f"{path}: {row} 行目の列 factor が負です")
    return out


def select_emission_factors(
    table: pd.DataFrame,
    fiscal_year: int,
    electricity_basis: str = "basic",
    fuel_basis: str = "auto",
) -> pd.DataFrame:
    """One factor per fuel for ``fiscal_year`` (see module docstring for the rule).

    Returns DataFrame(fuel, unit, factor [t-CO2/unit], basis, fiscal_year (of the row), source).
    """
    if electricity_basis not in ELECTRICITY_BASES:
        raise EmissionFactorError(f"electricity_basis は {ELECTRICITY_BASES} のいずれか: {electricity_basis!r}")
    if fuel_basis not in FUEL_BASES:
        raise EmissionFactorError(f"fuel_basis は {FUEL_BASES} のいずれか: {fuel_basis!r}")
    fiscal_year = int(fiscal_year)
    rows = []
    elec = table[(table["fuel"] == "electricity") & (table["fiscal_year"] == fiscal_year)
                 & (table["basis"] == electricity_basis)]
    if elec.empty:
        known = sorted(set(table.loc[table["fuel"] == "electricity", "fiscal_year"]))
        raise EmissionFactorError(
            f"{fiscal_year} 年度の電力排出係数 ({electricity_basis}) が係数表にありません"
            f" (登録済みの年度: {', '.join(map(str, known))})"
        )
    rows.append(elec.iloc[0])
    for fuel in FUEL_KEYS:
        if fuel == "electricity":
            continue
        cand = table[table["fuel"] == fuel]
        if fuel_basis == "auto":
            cand = cand[cand["fiscal_year"] <= fiscal_year]
        else:  # a forced basis applies whatever the year (e.g. new factors for a past year)
            cand = cand[cand["basis"] == fuel_basis]
        if cand.empty:
            raise EmissionFactorError(
                f"{fiscal_year} 年度に使える {fuel} の排出係数 (basis={fuel_basis}) が係数表にありません"
            )
        rows.append(cand.sort_values("fiscal_year").iloc[-1])
    return pd.DataFrame(rows).reset_index(drop=True)
