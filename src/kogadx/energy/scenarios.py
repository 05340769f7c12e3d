"""Reduction scenarios per business: CO2 (t-CO2/yr) and cost (yen/yr, capex yen) effects.

Applied in sequence to one fiscal year's use (so effects do not double count):
1. ``led``: lighting share of electricity × retrofit share × saving fraction;
2. ``pv``: rooftop PV of ``min(floor/100 × pv_kw_per_100m2_floor, pv_max_kw)`` kW × yield
   × self-consumption share, capped at the remaining purchased kWh;
3. ``fuel_switch``: a share of boiler fuels (kerosene, A重油 …) replaced by heat pumps:
   useful heat = L × heat content [GJ/L] × boiler efficiency; kWh = heat / COP / 0.0036;
4. ``renewable_menu``: a share of the remaining purchased kWh on a low-carbon menu
   (factor ``renewable_menu_factor_t_per_kwh``) at a price premium. A menu is credited only
   under the adjusted factor (調整後排出係数); under the basic factor the step saves 0 t.
All numbers (yield, prices, COP …) come from params; defaults there are UNCONFIRMED.
"""

from __future__ import annotations

import pandas as pd

from kogadx.energy.params import Scenarios
from kogadx.energy.schema import FUEL_BY_KEY, UNIT_TO_FACTOR_UNIT

STEP_LABELS = {"baseline": "現状", "led": "LED化", "pv": "屋根置き太陽光",
               "fuel_switch": "燃料転換(ヒートポンプ)", "renewable_menu": "再エネメニュー", "after": "対策後"}
GJ_PER_KWH = 0.0036


def _t_per_native(fuel: str, factors: pd.Series) -> float:
    spec = FUEL_BY_KEY[fuel]
    return float(factors[fuel]) / UNIT_TO_FACTOR_UNIT[(spec.unit, spec.factor_unit)]


def business_scenarios(annual_use: pd.DataFrame, businesses: pd.DataFrame, factors: pd.DataFrame,
                       params: Scenarios, basis: str = "basic") -> pd.DataFrame:
    """Waterfall rows per business: step, delta_t_co2, delta_cost_yen_per_yr, capex_yen.

    ``annual_use``: business_id, fuel, amount (native unit per year). ``factors``: the
    selected emission factors. Returns one row per business × step (baseline and after
    carry levels, the others deltas; negative = reduction).
    """
    ef = factors.set_index("fuel")["factor"]
    prices = params.prices_yen
    use = annual_use.pivot_table(index="business_id", columns="fuel", values="amount", aggfunc="sum").fillna(0.0)
    floor = businesses.set_index("business_id")["floor_area_m2"].astype(float)
    t_kwh = _t_per_native("electricity", ef)
    rows = []
    for business_id, amounts in use.iterrows():
        base_t = sum(amounts[f] * _t_per_native(f, ef) for f in amounts.index)
        base_cost = sum(amounts[f] * float(prices.get(f, 0.0)) for f in amounts.index)
        kwh = float(amounts.get("electricity", 0.0))
        steps = [("baseline", base_t, base_cost, 0.0)]
        led_kwh = kwh * params.lighting_share_of_electricity * params.led_retrofit_share * params.led_saving_fraction
        kwh -= led_kwh
        steps.append(("led", -led_kwh * t_kwh, -led_kwh * prices["electricity"],
                      led_kwh * params.led_capex_yen_per_annual_kwh))
        area = floor.get(business_id, float("nan"))
        pv_kw = 0.0 if pd.isna(area) else min(area / 100.0 * params.pv_kw_per_100m2_floor, params.pv_max_kw)
        pv_kwh = min(pv_kw * params.pv_yield_kwh_per_kw_yr * params.pv_self_consumption, kwh)
        kwh -= pv_kwh
        steps.append(("pv", -pv_kwh * t_kwh, -pv_kwh * prices["electricity"], pv_kw * params.pv_capex_yen_per_kw))
        d_t = d_cost = capex = 0.0
        for fuel in params.fuel_switch_from:
            litres = float(amounts.get(fuel, 0.0)) * params.fuel_switch_share
            if litres <= 0:
                continue
            heat_gj = litres * params.heat_content_gj_per_unit[fuel] * params.boiler_efficiency
            hp_kwh = heat_gj / params.heat_pump_cop / GJ_PER_KWH
            kwh += hp_kwh
            d_t += -litres * _t_per_native(fuel, ef) + hp_kwh * t_kwh
            d_cost += -litres * prices[fuel] + hp_kwh * prices["electricity"]
            capex += heat_gj / max(params.heat_pump_full_load_hours, 1) / GJ_PER_KWH * params.heat_pump_capex_yen_per_kw
        steps.append(("fuel_switch", d_t, d_cost, capex))
        menu_kwh = kwh * params.renewable_menu_share
        menu_t = -menu_kwh * (t_kwh - params.renewable_menu_factor_t_per_kwh) if basis == "adjusted" else 0.0
        steps.append(("renewable_menu", menu_t,
                      menu_kwh * params.renewable_premium_yen_per_kwh, 0.0))
        after_t = base_t + sum(s[1] for s in steps[1:])
        after_cost = base_cost + sum(s[2] for s in steps[1:])
        steps.append(("after", after_t, after_cost, sum(s[3] for s in steps[1:])))
        for order, (step, d_t_co2, d_yen, capex_yen) in enumerate(steps):
            rows.append({"business_id": business_id, "order": order, "step": step, "label": STEP_LABELS[step],
                         "t_co2": d_t_co2, "cost_yen_per_yr": d_yen, "capex_yen": capex_yen})
    columns = ["business_id", "order", "step", "label", "t_co2", "cost_yen_per_yr", "capex_yen"]
    return pd.DataFrame(rows, columns=columns)


def city_scenarios(per_business: pd.DataFrame) -> pd.DataFrame:
    """City-wide waterfall: sum of the per-business rows by step."""
    return (per_business.groupby(["order", "step", "label"], as_index=False)[["t_co2", "cost_yen_per_yr", "capex_yen"]]
            .sum().sort_values("order").reset_index(drop=True))
