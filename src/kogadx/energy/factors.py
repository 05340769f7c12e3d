"""Emission factors (温対法) as versioned data and the rules that pick one.

The table ``emission_factors.csv`` shipped in this package has one row per value:
``fiscal_year`` is the fiscal year of the *activity* the value is used for, ``factor`` is
t-CO2 per ``unit`` (kWh, 千m3, t, kL) and ``source`` cites where the value was read.

Electricity (Scope 2) is published per supplier and menu by 環境省・経済産業省 each winter as
the supplier's result for a fiscal year (``result_fiscal_year``); a business reports the
emissions of fiscal year N with the factors of the N − 1 result (九州電力's notice: the 2018
emissions use the 2017 result). ``basis`` is ``basic`` (基礎排出係数: one value per supplier,
``menu`` = ``*``) or ``adjusted`` (調整後排出係数: per menu; only this one credits a
renewable menu or certificates). Only values read in a cited publication are in the table:
九州電力 for the activity years 2018, 2019 and 2023. Other years and suppliers, and the
代替値 for a supplier without a published factor, could not be sourced here and are absent
— asking for them is an :class:`EmissionFactorError` naming year, supplier and menu, never a
silent borrow of another year. (Searched again for #18: 九州電力's notices for the results 2019–2021
and 2023 (activity years 2020–2022, 2024), the 環境省・経済産業省 代替値 per year and a 自治体排出量カルテ figure for
古賀市 were not found in the sources available; the 2017 一般送配電事業者 (離島供給) values
on 九州電力's notice apply to outlying islands only and are not added.)

Fuels (Scope 1) change only when the ministerial ordinance changes: for each fuel the row with
the latest ``fiscal_year`` ≤ the requested year is used (``fuel_basis="auto"``), or a basis
(``old`` / ``new``) is forced, whatever its year.
"""

from __future__ import annotations

import io

import pandas as pd

from kogadx.energy.schema import FUEL_BY_KEY, FUEL_KEYS
from kogadx.errors import UserFacingError
from kogadx.io import read_package_file

FACTOR_COLUMNS = ("fiscal_year", "fuel", "unit", "factor", "basis", "supplier", "menu", "result_fiscal_year", "source")
ELECTRICITY_BASES = ("basic", "adjusted")
ALL_MENUS = "*"
DEFAULT_SUPPLIER = ("九州電力", "B")
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
    for column in ("supplier", "menu", "result_fiscal_year"):
        out[column] = out[column].fillna("").astype(str).str.strip()
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


def electricity_factor(table: pd.DataFrame, fiscal_year: int, supplier: str, menu: str, basis: str) -> pd.Series:
    """The electricity row for activity year ``fiscal_year``, ``supplier`` and ``menu`` under ``basis``.

    ``basic`` takes the supplier's ``*`` row; ``adjusted`` the menu's row (or ``*`` when the
    supplier published one value for all menus). Raises :class:`EmissionFactorError` naming the
    year, supplier and menu when the table has no such value.
    """
    if basis not in ELECTRICITY_BASES:
        raise EmissionFactorError(f"electricity_basis は {ELECTRICITY_BASES} のいずれか: {basis!r}")
    fiscal_year = int(fiscal_year)
    rows = table[(table["fuel"] == "electricity") & (table["fiscal_year"] == fiscal_year)
                 & (table["supplier"] == supplier) & (table["basis"] == basis)]
    wanted = (ALL_MENUS,) if basis == "basic" else (menu, ALL_MENUS)
    for key in wanted:
        hit = rows[rows["menu"] == key]
        if len(hit):
            return hit.iloc[0]
    label = {"basic": "基礎排出係数", "adjusted": "調整後排出係数"}[basis]
    known = sorted(set(table.loc[(table["fuel"] == "electricity") & (table["supplier"] == supplier), "fiscal_year"]))
    raise EmissionFactorError(
        f"{fiscal_year} 年度の電力の{label}がありません: 供給事業者「{supplier or '(空欄)'}」"
        f"メニュー「{menu or '(空欄)'}」 (この事業者の登録済み年度: {', '.join(map(str, known)) or 'なし'})。"
        "別の年度の係数は流用しません。係数表に出典付きで追加してください"
    )


def fuel_factors(table: pd.DataFrame, fiscal_year: int, fuel_basis: str = "auto") -> pd.DataFrame:
    """One row per fuel other than electricity for activity year ``fiscal_year``."""
    if fuel_basis not in FUEL_BASES:
        raise EmissionFactorError(f"fuel_basis は {FUEL_BASES} のいずれか: {fuel_basis!r}")
    rows = []
    for fuel in FUEL_KEYS:
        if fuel == "electricity":
            continue
        cand = table[table["fuel"] == fuel]
        if fuel_basis == "auto":
            cand = cand[cand["fiscal_year"] <= int(fiscal_year)]
        else:  # a forced basis applies whatever the year (e.g. new factors for a past year)
            cand = cand[cand["basis"] == fuel_basis]
        if cand.empty:
            raise EmissionFactorError(
                f"{fiscal_year} 年度に使える {fuel} の排出係数 (basis={fuel_basis}) が係数表にありません"
            )
        rows.append(cand.sort_values("fiscal_year").iloc[-1])
    return pd.DataFrame(rows).reset_index(drop=True)


def select_emission_factors(
    table: pd.DataFrame,
    fiscal_year: int,
    electricity_basis: str = "basic",
    fuel_basis: str = "auto",
    supplier: str = DEFAULT_SUPPLIER[0],
    menu: str = DEFAULT_SUPPLIER[1],
) -> pd.DataFrame:
    """One factor per fuel for activity year ``fiscal_year`` (see module docstring for the rules).

    Returns DataFrame(fuel, unit, factor [t-CO2/unit], basis, fiscal_year (of the row), supplier,
    menu, result_fiscal_year, source).
    """
    elec = electricity_factor(table, fiscal_year, supplier, menu, electricity_basis)
    fuels = fuel_factors(table, fiscal_year, fuel_basis)
    return pd.concat([elec.to_frame().T, fuels], ignore_index=True).astype({"factor": float, "fiscal_year": int})


def business_factors(table: pd.DataFrame, supply: pd.DataFrame, fiscal_years: list[int],
                     fuel_basis: str = "auto") -> pd.DataFrame:
    """Per business × activity year × fuel: basic and adjusted factor, or a status and reason.

    ``supply``: business_id, supplier, menu. Returns business_id, fiscal_year, fuel,
    factor_basic, factor_adjusted (t-CO2 per factor unit), factor_status (``ok`` /
    ``missing``), factor_reason. A missing electricity factor leaves that business's
    electricity without emissions (with the reason); it is never replaced by another year's.
    """
    rows = []
    for year in fiscal_years:
        fuels = fuel_factors(table, year, fuel_basis)
        for rec in supply.itertuples(index=False):
            for f in fuels.itertuples(index=False):
                rows.append({"business_id": rec.business_id, "fiscal_year": year, "fuel": f.fuel,
                             "factor_basic": float(f.factor), "factor_adjusted": float(f.factor),
                             "factor_status": "ok", "factor_reason": ""})
            out = {"business_id": rec.business_id, "fiscal_year": year, "fuel": "electricity",
                   "factor_basic": float("nan"), "factor_adjusted": float("nan"),
                   "factor_status": "ok", "factor_reason": ""}
            try:
                out["factor_basic"] = float(electricity_factor(table, year, rec.supplier, rec.menu, "basic")["factor"])
                out["factor_adjusted"] = float(
                    electricity_factor(table, year, rec.supplier, rec.menu, "adjusted")["factor"])
            except EmissionFactorError as exc:
                out.update(factor_basic=float("nan"), factor_adjusted=float("nan"), factor_status="missing",
                           factor_reason=str(exc))
            rows.append(out)
    return pd.DataFrame(rows, columns=["business_id", "fiscal_year", "fuel", "factor_basic", "factor_adjusted",
                                       "factor_status", "factor_reason"])
