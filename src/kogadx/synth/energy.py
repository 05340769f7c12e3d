"""Synthetic business energy for Koga: a business master and a monthly energy export.

``generate_business_energy`` returns the two raw tables as a business-support system would
export them (Japanese headers, every value as text) and an :class:`EnergyTruth` with the
true per-fuel coefficients and the list of injected faults, for evaluation.

Generative model, per business *b* and fuel *f* (monthly, native unit):

    E = (intercept + per_operating_day · D · p · o + cdd_coef · CDD(T_c,b) + hdd_coef · HDD(T_h,b))
        × (1 + ε) × (1 − s · [after the measure])

with D the operating days of the month (sector calendar minus random closures, JP holidays
from the ``holidays`` library), p a production index (manufacturers: a seasonal swing of
5–15 % with its own phase, plus 3 % noise), o an occupancy level that steps by ±5–20 % in a
random month for ``occupancy_change_share`` of businesses, CDD/HDD the month's degree days
from daily mean temperatures at the business's own balance points (heating T_h 10–18 °C,
cooling T_c 18–26 °C; the analysis does not know them), ε ~ N(0, σ_b), and s the saving
of an electricity measure (8–25 %) taken in a known month by ``retrofit_share`` of
businesses (the month is exported as 対策実施月; the savings of the 12 months after it are in
the truth). Most businesses are regular (σ_b 1.5–4.5 %); a share are irregular
(σ_b 15–30 %). Each business draws an electricity supplier and menu (電力供給事業者,
電力メニュー). Sector intensities and shares are synthetic assumptions, not measured facts.

Faults injected at ``EnergySynth.fault_rate`` (per row, per kind; disjoint rows): missing months (row
absent), kWh/MWh unit slips on electricity (value 1000× too small), meter resets on
electricity or city gas (negative value, or the cumulative reading written as the month's
use), and exact duplicate rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import holidays
import numpy as np
import pandas as pd
from faker import Faker

from kogadx.energy.schema import FUEL_BY_KEY, FUEL_KEYS
from kogadx.synth.params import EnergySynth

FAULT_KINDS = ("missing_month", "unit_slip", "meter_reset", "duplicate")


@dataclass(frozen=True)
class SectorProfile:
    code: str
    name: str
    weight: float
    calendar: str  # weekday | six_day | all_days
    floor_m2: tuple[float, float]  # log-uniform range
    m2_per_employee: float
    # annual use per m² of floor (native unit) and probability the business uses the fuel
    fuels: Mapping[str, tuple[float, float]]


SECTORS: tuple[SectorProfile, ...] = (
    SectorProfile("09", "食料品製造業", 0.10, "six_day", (800, 8000), 40,
                  {"electricity": (250, 1.0), "city_gas": (25, 0.5), "a_heavy_oil": (15, 0.5),
                   "lpg": (3, 0.3), "diesel": (2, 0.6)}),
    SectorProfile("44", "道路貨物運送業", 0.10, "six_day", (1000, 10000), 60,
                  {"electricity": (60, 1.0), "diesel": (40, 1.0), "gasoline": (1, 0.5), "kerosene": (2, 0.4)}),
    SectorProfile("58", "飲食料品小売業", 0.10, "all_days", (300, 3000), 50,
                  {"electricity": (450, 1.0), "city_gas": (5, 0.4), "lpg": (2, 0.3)}),
    SectorProfile("60", "その他の小売業", 0.12, "all_days", (200, 2000), 60,
                  {"electricity": (250, 1.0), "gasoline": (1, 0.3), "kerosene": (2, 0.3)}),
    SectorProfile("59", "機械器具小売業", 0.05, "six_day", (300, 1500), 50,
                  {"electricity": (150, 1.0), "gasoline": (3, 0.8), "kerosene": (3, 0.4)}),
    SectorProfile("83", "医療業", 0.12, "six_day", (150, 2000), 25,
                  {"electricity": (180, 1.0), "city_gas": (6, 0.4), "lpg": (2, 0.2), "kerosene": (4, 0.3)}),
    SectorProfile("85", "社会保険・社会福祉・介護事業", 0.08, "all_days", (500, 3000), 30,
                  {"electricity": (150, 1.0), "city_gas": (10, 0.5), "lpg": (4, 0.3), "kerosene": (6, 0.4),
                   "gasoline": (1, 0.7)}),
    SectorProfile("76", "飲食店", 0.10, "all_days", (80, 500), 15,
                  {"electricity": (400, 1.0), "city_gas": (40, 0.5), "lpg": (30, 0.5)}),
    SectorProfile("73", "専門サービス業(事務所)", 0.13, "weekday", (100, 2000), 20,
                  {"electricity": (120, 1.0), "gasoline": (1, 0.5), "kerosene": (2, 0.2)}),
    SectorProfile("06", "総合工事業", 0.05, "six_day", (100, 800), 15,
                  {"electricity": (40, 1.0), "diesel": (15, 1.0), "gasoline": (5, 0.8), "kerosene": (2, 0.3)}),
    SectorProfile("78", "洗濯・理容・美容・浴場業", 0.05, "six_day", (80, 600), 20,
                  {"electricity": (200, 1.0), "city_gas": (30, 0.6), "lpg": (20, 0.3), "kerosene": (10, 0.2),
                   "a_heavy_oil": (20, 0.2)}),
)
HEATING_FUELS = ("city_gas", "lpg", "kerosene", "a_heavy_oil")
EAST_SECTORS = ("44",)  # logistics sits along the Kyushu Expressway (east side of the city)


# Electricity supply drawn per business: (supplier, menu, weight). 九州電力's menus follow its
# published factor list (A = 再エネ/CO2フリー plans, B = others); the last row is a supplier
# the factor table does not know, so that the analysis must report it rather than guess.
SUPPLIERS: tuple[tuple[str, str, float], ...] = (
    ("九州電力", "B", 0.85), ("九州電力", "A", 0.10), ("その他の小売電気事業者", "", 0.05))


@dataclass(frozen=True)
class EnergyTruth:
    """What evaluation needs: true coefficients per business × fuel, measures and injected faults."""

    # business_id, fuel, intercept, per_operating_day, cdd_coef, hdd_coef, noise_cv, irregular,
    # heating_bp_c, cooling_bp_c, production_amplitude, occupancy_change_month, occupancy_factor
    coefficients: pd.DataFrame
    faults: pd.DataFrame  # table, row, business_id, year_month, column, kind
    # business_id, fuel, intervention_month, saving_fraction, reporting_start, reporting_end,
    # true_savings (native unit over the 12 months after the measure month)
    retrofits: pd.DataFrame = field(default_factory=pd.DataFrame)
    # business_id, fuel, year_month, true_saving: the same savings month by month (counterfactual
    # with its noise, production and occupancy minus actual), so that an evaluation can sum them
    # over exactly the reporting months the method measured (a month lost to a fault is in neither)
    retrofit_months: pd.DataFrame = field(default_factory=pd.DataFrame)


def operating_day_counts(months: pd.PeriodIndex, calendar: str) -> np.ndarray:
    """Open days per month for a sector calendar, with JP holidays closed (New Year always)."""
    days = pd.date_range(months[0].start_time, months[-1].end_time.normalize(), freq="D")
    jp = holidays.country_holidays("JP", years=sorted(set(days.year)))
    is_holiday = np.array([d.date() in jp for d in days])
    new_year = (days.month == 1) & (days.day <= 3) | (days.month == 12) & (days.day == 31)
    dow = days.day_of_week
    if calendar == "weekday":
        open_ = (dow < 5) & ~is_holiday
    elif calendar == "six_day":
        open_ = (dow < 6) & ~is_holiday
    elif calendar == "all_days":
        open_ = np.ones(len(days), dtype=bool)
    else:
        raise ValueError(f"unknown calendar {calendar!r}")
    open_ &= ~new_year
    counts = pd.Series(open_, index=days.to_period("M")).groupby(level=0).sum()
    return counts.reindex(months).to_numpy()


def _town_weights(towns: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(weights for all businesses, weights for east-side sectors) over towns' rows."""
    n = len(towns)
    base = towns["population"].to_numpy(dtype=float) + 50.0 if "population" in towns else np.ones(n)
    if "lon" in towns.columns:
        lon = towns["lon"].to_numpy(dtype=float)
    elif "geometry" in towns.columns:
        lon = np.array([g.representative_point().x for g in towns.geometry])
    else:
        lon = None
    east = base.copy() if lon is None else np.where(lon >= np.median(lon), 1.0, 0.05)
    return base / base.sum(), east / east.sum()


def _coefficients(rng: np.random.Generator, fuel: str, annual: float, dd_year: Mapping[str, float],
                  per_day_scale: float, noise_cv: float) -> dict[str, float]:
    """Split an annual use into intercept / operating-day / CDD / HDD terms (shares drawn)."""
    cdd_share = hdd_share = 0.0
    if fuel == "electricity":
        cdd_share = rng.uniform(0.15, 0.35)
        hdd_share = rng.uniform(0.12, 0.25) if rng.random() < 0.5 else 0.0
    elif fuel in HEATING_FUELS:
        hdd_share = rng.uniform(0.30, 0.80)
    fixed_share = rng.uniform(0.05, 0.25) * (1 - cdd_share - hdd_share)
    op_share = 1.0 - cdd_share - hdd_share - fixed_share
    return {
        "intercept": fixed_share * annual / 12.0,
        "per_operating_day": op_share * annual / per_day_scale,
        "cdd_coef": cdd_share * annual / dd_year["cdd"] if cdd_share else 0.0,
        "hdd_coef": hdd_share * annual / dd_year["hdd"] if hdd_share else 0.0,
        "noise_cv": noise_cv,
    }


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}" if decimals else str(int(round(value)))


def generate_business_energy(
    rng: np.random.Generator,
    towns: pd.DataFrame,
    weather_monthly: pd.DataFrame,
    config: EnergySynth = EnergySynth(),
) -> tuple[pd.DataFrame, pd.DataFrame, EnergyTruth]:
    """Generate (businesses raw, monthly energy raw, truth): ``config.n_businesses`` businesses,
    months ``config.start`` … ``config.end``.

    ``towns`` needs ``town_code`` (optionally ``population``, ``lon`` or ``geometry`` to
    place logistics on the east side). ``weather_monthly`` is either monthly degree days
    (year_month, cdd, hdd) or hourly weather (time, temperature_c). Contact columns
    (担当者氏名, 電話番号, メールアドレス) are Faker ja_JP values seeded from ``rng``.
    """
    months = pd.period_range(config.start, config.end, freq="M")
    keys = months.strftime("%Y-%m")
    if not {"time", "temperature_c"}.issubset(weather_monthly.columns):
        raise ValueError("気象データには時刻別の time, temperature_c が必要です (事業所ごとのバランス点で度日を計算)")
    frame = pd.DataFrame({"time": pd.to_datetime(weather_monthly["time"]),
                          "t": pd.to_numeric(weather_monthly["temperature_c"], errors="coerce")}).dropna()
    daily = frame.groupby(frame["time"].dt.floor("D"))["t"].mean()
    daily = daily.loc[daily.index.to_period("M").isin(months)]
    day_month = pd.Index(months).get_indexer(daily.index.to_period("M"))
    present = set(daily.index.to_period("M").strftime("%Y-%m"))
    missing = [k for k in keys if k not in present]
    if missing:
        raise ValueError(f"気象データに月がありません: {', '.join(missing[:5])}")
    climate = _Climate(daily.to_numpy(float), day_month, len(months),
                       {s.calendar: operating_day_counts(months, s.calendar) for s in SECTORS})

    fake = Faker("ja_JP")
    fake.seed_instance(int(rng.integers(0, 2**31 - 1)))
    weights = np.array([s.weight for s in SECTORS])
    sector_idx = rng.choice(len(SECTORS), size=config.n_businesses, p=weights / weights.sum())
    w_all, w_east = _town_weights(towns)
    town_codes = towns["town_code"].astype(str).to_numpy()

    businesses, energy_rows, coef_rows, retrofit_rows, retrofit_month_rows = [], [], [], [], []
    for i in range(config.n_businesses):
        sector = SECTORS[sector_idx[i]]
        business_id = f"B{i + 1:04d}"
        record, floor = _business_record(rng, fake, business_id, sector, town_codes,
                                         w_east if sector.code in EAST_SECTORS else w_all)
        use = _monthly_use(rng, business_id, sector, floor, climate, config)
        supplier = SUPPLIERS[rng.choice(len(SUPPLIERS), p=[w for *_, w in SUPPLIERS])]
        record |= {"電力供給事業者": supplier[0], "電力メニュー": supplier[1],
                   "対策実施月": keys[use.retrofit_month].replace("-", "/") if use.retrofit_month >= 0 else ""}
        businesses.append(record)
        coef_rows += use.coefficients
        month_keys = ("intervention_month", "reporting_start", "reporting_end")
        retrofit_rows += [r | {k: keys[int(str(r[k]))] for k in month_keys} for r in use.retrofits]
        retrofit_month_rows += [r | {"year_month": keys[int(str(r["year_month"]))]} for r in use.retrofit_months]
        energy_rows += _energy_rows(business_id, keys, floor, use)

    energy = pd.DataFrame(energy_rows)
    energy, faults = _inject_faults(rng, energy, config.fault_rate)
    retrofits = pd.DataFrame(retrofit_rows, columns=["business_id", "fuel", "intervention_month", "saving_fraction",
                                                     "reporting_start", "reporting_end", "true_savings"])
    retrofit_months = pd.DataFrame(retrofit_month_rows, columns=["business_id", "fuel", "year_month", "true_saving"])
    truth = EnergyTruth(coefficients=pd.DataFrame(coef_rows), faults=faults, retrofits=retrofits,
                        retrofit_months=retrofit_months)
    return pd.DataFrame(businesses), energy, truth


@dataclass(frozen=True)
class _Climate:
    """Daily mean temperatures of the period (with their month index) and open days per month."""

    daily: np.ndarray
    day_month: np.ndarray
    n_months: int
    open_days: Mapping[str, np.ndarray]

    def degree_days(self, heating_bp: float, cooling_bp: float) -> tuple[np.ndarray, np.ndarray]:
        """Monthly (HDD, CDD) in °C·day at the given balance points."""
        hdd = np.bincount(self.day_month, np.clip(heating_bp - self.daily, 0, None), self.n_months)
        cdd = np.bincount(self.day_month, np.clip(self.daily - cooling_bp, 0, None), self.n_months)
        return hdd, cdd


@dataclass(frozen=True)
class _MonthlyUse:
    """One business's operating days, production index and use per fuel, month by month."""

    op_days: np.ndarray
    manufacturer: bool
    production: np.ndarray | float  # 1.0 for businesses that are not manufacturers
    values: dict[str, np.ndarray]  # fuel → use (native unit)
    coefficients: list[dict[str, object]]  # truth rows
    retrofit_month: int = -1  # month index of the measure, -1 for none
    retrofits: list[dict[str, object]] = field(default_factory=list)  # truth rows
    retrofit_months: list[dict[str, object]] = field(default_factory=list)  # truth rows, month by month


def _business_record(rng: np.random.Generator, fake: Faker, business_id: str, sector: SectorProfile,
                     town_codes: np.ndarray, town_weights: np.ndarray) -> tuple[dict[str, str], float]:
    """The business master row (all text) and the floor area (m²)."""
    floor = float(np.exp(rng.uniform(*np.log(sector.floor_m2))))
    employees = max(1, int(round(floor / sector.m2_per_employee * rng.uniform(0.6, 1.4))))
    town = town_codes[rng.choice(len(town_codes), p=town_weights)]
    record = {
        "事業所ID": business_id, "事業所名": fake.company(), "業種コード": sector.code,
        "業種名": sector.name, "従業員数": str(employees), "延床面積": f"{floor:.1f}",
        "町丁目コード": town, "担当者氏名": fake.name(),
        # Faker's ja_JP phone formats can start without the trunk 0; business lines in Koga
        # are 092-94x (landline) or mobile numbers.
        "電話番号": (f"092-94{rng.integers(0, 10)}-{rng.integers(0, 10000):04d}" if rng.random() < 0.6
                 else f"0{rng.choice([70, 80, 90])}-{rng.integers(0, 10000):04d}-{rng.integers(0, 10000):04d}"),
        "メールアドレス": fake.email(),
    }
    return record, floor


def _monthly_use(rng: np.random.Generator, business_id: str, sector: SectorProfile, floor: float,
                 climate: _Climate, config: EnergySynth) -> _MonthlyUse:
    """Draw the business's noise, balance points, closures, production, occupancy, measure and
    per-fuel coefficients; use by month."""
    n = climate.n_months
    irregular = bool(rng.random() < config.irregular_share)
    noise_cv = rng.uniform(0.15, 0.30) if irregular else rng.uniform(0.015, 0.045)
    heating_bp, cooling_bp = float(rng.uniform(10.0, 18.0)), float(rng.uniform(18.0, 26.0))
    hdd, cdd = climate.degree_days(heating_bp, cooling_bp)
    per_year = {"cdd": cdd.sum() * 12 / n, "hdd": hdd.sum() * 12 / n}
    closures = rng.poisson(0.3, size=n)
    op_days = np.maximum(climate.open_days[sector.calendar] - closures, 1)
    manufacturer = sector.code == "09"
    amplitude = float(rng.uniform(0.05, 0.15)) if manufacturer else 0.0
    phase = rng.uniform(0, 2 * np.pi)
    production = (1.0 + amplitude * np.sin(2 * np.pi * np.arange(n) / 12 + phase) + rng.normal(0, 0.03, n)
                  if manufacturer else 1.0)
    occupancy = np.ones(n)
    occ_month, occ_factor = -1, 1.0
    if rng.random() < config.occupancy_change_share:
        occ_month = int(rng.integers(1, n))
        occ_factor = float(rng.choice([-1, 1]) * rng.uniform(0.05, 0.20) + 1)
        occupancy[occ_month:] = occ_factor
    retrofit_month = int(rng.integers(12, n - 12)) if n >= 25 and rng.random() < config.retrofit_share else -1
    saving = float(rng.uniform(0.08, 0.25)) if retrofit_month >= 0 else 0.0
    per_day_scale = op_days.sum() * 12 / n
    values, coef_rows, retrofits, retrofit_months = {}, [], [], []
    for fuel, (intensity, prob) in sector.fuels.items():
        if rng.random() >= prob:
            continue
        annual = intensity * floor * rng.uniform(0.6, 1.5)
        coef = _coefficients(rng, fuel, annual, per_year, per_day_scale, noise_cv)
        coef_rows.append({"business_id": business_id, "fuel": fuel, **coef, "irregular": irregular,
                          "heating_bp_c": heating_bp, "cooling_bp_c": cooling_bp,
                          "production_amplitude": amplitude, "occupancy_change_month": occ_month,
                          "occupancy_factor": occ_factor})
        mean = (coef["intercept"] + coef["per_operating_day"] * op_days * production * occupancy
                + coef["cdd_coef"] * cdd + coef["hdd_coef"] * hdd)
        counterfactual = np.maximum(mean * (1 + rng.normal(0, noise_cv, n)), 0.0)
        values[fuel] = counterfactual
        if retrofit_month >= 0 and fuel == "electricity":
            after = np.arange(n) > retrofit_month
            values[fuel] = np.where(after, counterfactual * (1 - saving), counterfactual)
            window = slice(retrofit_month + 1, retrofit_month + 13)
            retrofits.append({"business_id": business_id, "fuel": fuel, "intervention_month": retrofit_month,
                              "saving_fraction": saving, "reporting_start": retrofit_month + 1,
                              "reporting_end": min(retrofit_month + 12, n - 1),
                              "true_savings": float(np.sum(counterfactual[window] - values[fuel][window]))})
            retrofit_months += [{"business_id": business_id, "fuel": fuel, "year_month": m,
                                 "true_saving": float(counterfactual[m] - values[fuel][m])}
                                for m in range(retrofit_month + 1, min(retrofit_month + 13, n))]
    return _MonthlyUse(op_days, manufacturer, production, values, coef_rows,
                       retrofit_month if retrofits else -1, retrofits, retrofit_months)


def _energy_rows(business_id: str, keys: pd.Index, floor: float, use: _MonthlyUse) -> list[dict[str, str]]:
    """The export's rows of one business (all text; blank where it does not use a fuel)."""
    production = np.broadcast_to(use.production, use.op_days.shape)
    rows = []
    for m, key in enumerate(keys):
        row = {"事業所ID": business_id, "年月": key.replace("-", "/"), "稼働日数": str(int(use.op_days[m])),
               "生産量(t)": _fmt(floor * 0.05 * use.op_days[m] * production[m], 1) if use.manufacturer else ""}
        for fuel in FUEL_KEYS:
            header = FUEL_BY_KEY[fuel].header
            row[header] = _fmt(use.values[fuel][m], 0 if fuel in ("electricity", "city_gas") else 1) \
                if fuel in use.values else ""
        row["_year_month"] = key
        rows.append(row)
    return rows


def _inject_faults(rng: np.random.Generator, energy: pd.DataFrame, rate: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply faults to disjoint rows (``rate`` per row and kind); return the final raw table
    and the fault list."""
    n = len(energy)
    order = rng.permutation(n)
    counts = {kind: int(rng.binomial(n, rate)) for kind in FAULT_KINDS}
    chosen, pos = {}, 0
    for kind in FAULT_KINDS:
        chosen[kind] = order[pos:pos + counts[kind]]
        pos += counts[kind]
    energy = energy.copy()
    energy["_fault"] = ""
    energy["_column"] = ""
    elec, gas = FUEL_BY_KEY["electricity"].header, FUEL_BY_KEY["city_gas"].header
    for idx in chosen["unit_slip"]:
        kwh = float(energy.at[idx, elec])
        energy.at[idx, elec] = f"{kwh / 1000:.3f}"  # entered in MWh in the kWh column
        energy.loc[idx, ["_fault", "_column"]] = ["unit_slip", elec]
    for idx in chosen["meter_reset"]:
        column = gas if energy.at[idx, gas] != "" and rng.random() < 0.3 else elec
        use = float(energy.at[idx, column])
        if rng.random() < 0.5:  # meter replaced: new reading minus old reading goes negative
            value = use - 10 ** (len(str(int(use))) + 1)
        else:  # the cumulative reading (years of use) typed in as the month's use
            same = energy.loc[energy["事業所ID"] == energy.at[idx, "事業所ID"], column]
            # mean of the real readings: an earlier negative reset must not shrink the cumulative value
            readings = pd.to_numeric(same)
            value = readings[readings > 0].mean() * rng.uniform(20, 100)
        energy.at[idx, column] = str(int(round(value)))
        energy.loc[idx, ["_fault", "_column"]] = ["meter_reset", column]
    energy.loc[chosen["missing_month"], "_fault"] = "missing_month"
    dup_src = chosen["duplicate"]
    dups = energy.loc[dup_src].copy()
    dups["_fault"] = "duplicate"
    energy["_order"] = np.arange(n, dtype=float)
    dups["_order"] = dup_src + 0.5  # right after its original, as a double export would
    missing_rows = energy.loc[energy["_fault"] == "missing_month"]
    energy = energy.loc[energy["_fault"] != "missing_month"]
    energy = pd.concat([energy, dups]).sort_values("_order", kind="stable").reset_index(drop=True)
    records = []
    for row, rec in energy.loc[energy["_fault"] != ""].iterrows():
        records.append({"table": "business_energy", "row": int(row), "business_id": rec["事業所ID"],
                        "year_month": rec["_year_month"], "column": rec["_column"], "kind": rec["_fault"]})
    for _, rec in missing_rows.iterrows():
        records.append({"table": "business_energy", "row": -1, "business_id": rec["事業所ID"],
                        "year_month": rec["_year_month"], "column": "", "kind": "missing_month"})
    faults = pd.DataFrame(records, columns=["table", "row", "business_id", "year_month", "column", "kind"])
    faults = faults.sort_values(["kind", "business_id", "year_month", "row"]).reset_index(drop=True)
    return energy.drop(columns=["_fault", "_column", "_order", "_year_month"]), faults


def sinusoid_temperature(
    rng: np.random.Generator,
    start: str = "2021-01-01",
    end: str = "2025-12-31",
    mean_c: float = 17.0,
    annual_amplitude_c: float = 10.0,
    daily_amplitude_c: float = 4.0,
    day_noise_c: float = 2.0,
) -> pd.DataFrame:
    """A simple hourly temperature stand-in for tests and benchmarks (Fukuoka-like).

    Annual sinusoid (coldest late January), daily cycle (warmest 14:00) and an AR(1)
    day-to-day anomaly so that years differ. Not the project's weather generator
    (``kogadx.synth.weather``); it only needs ``time`` and ``temperature_c``.
    """
    time = pd.date_range(start, pd.Timestamp(end) + pd.Timedelta(hours=23), freq="h")
    doy = time.day_of_year.to_numpy()
    hour = time.hour.to_numpy()
    n_days = len(time) // 24 + 1
    anomaly = np.zeros(n_days)
    shocks = rng.normal(0, day_noise_c, n_days)
    for d in range(1, n_days):
        anomaly[d] = 0.7 * anomaly[d - 1] + shocks[d]
    day_index = (time.normalize() - time[0].normalize()).days.to_numpy()
    temp = (mean_c - annual_amplitude_c * np.cos(2 * np.pi * (doy - 25) / 365.25)
            + daily_amplitude_c * np.cos(2 * np.pi * (hour - 14) / 24) + anomaly[day_index])
    return pd.DataFrame({"time": time, "temperature_c": temp})
