"""Benchmark: district happiness by direct, shrunk and Fay–Herriot estimates, in both survey worlds.

For each seed and each non-response scenario (``mar``: response depends on district × age
group and sex only; ``mnar``: also on loneliness, having no internet and happiness itself):
a register on Koga's real town layout (71 towns, 30 districts), a ~2,000-respondent
synthetic survey, raking on district × age (collapsed cells) and age × sex, bootstrap
replicate weights re-raked in each replicate, then per district

- direct: weighted (Hájek) mean, bootstrap standard error, normal 95 % interval;
- shrunk: Fay–Herriot with an intercept only (shrinkage to the city level);
- fay_herriot: Fay–Herriot EBLUP with register covariates (share 65+, log density,
  distance to the nearest bus stop), Prasad–Rao MSE;
- unweighted: the plain respondent mean with an SRS interval (to show the world can tell a
  weighted method from a naive one),

compared with the finite-population truth: bias, MSE and interval coverage per tercile of
district size (adults in the register). For the city: the bias of the weighted mean and the
δ-sensitivity range (non-respondents 0 … ``--delta-max`` points lower) against the truth.
Drivers (first ``--driver-seeds`` seeds): cross-validated R² of the linear and tree models.

    .venv/bin/python benchmarks/wellbeing_sae.py [--seeds 10] [--replicates 60]

Writes benchmarks/results/wellbeing_sae.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from kogadx.io import write_json
from kogadx.rng import stream_rng
from kogadx.synth.params import SurveySynth
from kogadx.synth.survey import generate_survey, toy_register
from kogadx.wellbeing.categories import CATEGORY_KEYS
from kogadx.wellbeing.data import standardize_register, standardize_survey
from kogadx.wellbeing.districts import assign_districts, district_order
from kogadx.wellbeing.drivers import fit_drivers
from kogadx.wellbeing.indicators import CITY, district_covariates, district_estimates, small_area_estimates
from kogadx.wellbeing.objective import objective_indicators
from kogadx.wellbeing.params import DriverParams, RakingParams, SaeParams
from kogadx.wellbeing.replicates import bootstrap_weights
from kogadx.wellbeing.stage import calibrate

EDGES = [18, 30, 40, 50, 60, 70, 80, 90]
RAKING = RakingParams()  # the stage's defaults: age × sex and district × age (min_cell 20)
SAE = SaeParams()
LEVEL = 0.95
Z = 1.959963984540054
POPULATION = 59_282  # register total on 2024-02-29 (DOMAIN.md §1)
METHODS = ("direct", "shrunk", "fay_herriot", "unweighted")


def koga_geography():
    """Koga's 71 towns as Voronoi polygons and the 108 fixed-route bus stops (package reference data)."""
    from kogadx.geo.reference import (
        load_reference_boundary,
        load_reference_bus_stops,
        load_reference_towns,
        town_polygons,
    )

    towns = assign_districts(town_polygons(load_reference_towns(), load_reference_boundary()))
    return towns, load_reference_bus_stops()


def one_run(seed: int, scenario: str, towns, stops, n_target: int, replicates: int,
            drivers: bool) -> tuple[pd.DataFrame, dict]:
    register = toy_register(stream_rng(seed, "bench-register"), towns, POPULATION)
    raw, truth = generate_survey(stream_rng(seed, "bench-survey"), register, towns,
                                 SurveySynth(n_target=n_target, nonresponse=scenario))
    age = ((pd.Timestamp("2024-02-29") - pd.to_datetime(register["birth_date"])).dt.days // 365.25).astype(int)
    residents = pd.DataFrame({"age": age, "sex": register["sex"], "town_code": register["town_code"]})
    respondents = standardize_survey(raw, towns, EDGES)
    reg = standardize_register(residents, towns, EDGES)
    order = district_order(towns)
    cal = calibrate(respondents, reg, RAKING)
    w = cal.raking.weights
    reps = bootstrap_weights(cal.respondents, cal.targets, RAKING, replicates, stream_rng(seed, "bench-boot"))
    objective = objective_indicators(reg, towns, stops)
    design, _ = district_covariates(objective, order, SAE.covariates)
    direct = district_estimates(respondents, w, ("happiness",), level=LEVEL, districts=order)
    est = small_area_estimates(direct, respondents, w, reps, design, order, LEVEL, SAE.variance_min_n,
                               SAE.variance_method)
    flat = district_estimates(respondents, np.ones(len(respondents)), ("happiness",), level=LEVEL, districts=order)
    flat["se"] = flat["sd"] / np.sqrt(flat["n"])  # simple random sampling
    flat = flat.set_index("district")

    tm = truth.district_means.query("indicator == 'happiness'").set_index("district")
    adults = reg[reg["adult_fraction"] > 0].groupby("district")["adult_fraction"].sum()
    tercile = pd.qcut(adults.reindex(order).rank(method="first"), 3, labels=["small", "middle", "large"])
    rows = []
    for r in est[est["district"] != CITY].itertuples():
        truth_value = float(tm.loc[r.district, "true_mean"])
        f = flat.loc[r.district]
        srs_se = float(f["sd"]) / np.sqrt(f["n"]) if f["n"] >= 2 else np.nan
        for method, value, se in (("direct", r.mean, r.se), ("shrunk", r.mean_shrunk, r.se_shrunk),
                                  ("fay_herriot", r.mean_eb, r.se_eb), ("unweighted", f["mean"], srs_se)):
            rows.append({"seed": seed, "scenario": scenario, "district": r.district, "n": int(r.n),
                         "tercile": str(tercile[r.district]), "method": method, "estimate": float(value),
                         "se": float(se), "truth": truth_value})
    city = est[(est["district"] == CITY)].iloc[0]
    pop_truth = float(np.average(tm["true_mean"], weights=tm["population"]))
    resp = truth.response
    nonresp_gap = float(np.average(resp["happiness_respondents"], weights=resp["respondents"])
                        - np.nansum(resp["happiness_nonrespondents"] * (resp["invited"] - resp["respondents"]))
                        / float((resp["invited"] - resp["respondents"]).sum()))
    rate = float(resp["respondents"].sum() / resp["invited"].sum())
    info = {"seed": seed, "scenario": scenario, "respondents": int(len(respondents)),
            "city_weighted": float(city["mean"]), "city_se": float(city["se"]), "city_truth": pop_truth,
            "city_bias": float(city["mean"]) - pop_truth,
            "city_unweighted_bias": float(flat.loc[CITY, "mean"]) - pop_truth,
            "city_covered": bool(abs(float(city["mean"]) - pop_truth) <= Z * float(city["se"])),
            "response_rate": rate, "true_gap_respondents_minus_nonrespondents": nonresp_gap,
            "max_margin_error_pp": cal.raking.max_margin_error_pp}
    if drivers:
        with threadpool_limits(limits=1):
            fit = fit_drivers(respondents[list(CATEGORY_KEYS)], respondents["happiness"], seed=seed,
                              config=DriverParams(n_bootstrap=30, n_bootstrap_lgbm=3, cv_folds=5))
        cv = fit.cv_scores.groupby("model")["r2"].mean()
        info["cv_r2_linear"] = float(cv["linear_ridge"])
        info["cv_r2_lightgbm"] = float(cv["lightgbm"])
        zero = set(truth.effects.loc[truth.effects["effect_per_point"] == 0, "item"])
        imp = fit.importances
        info["zero_effect_items_with_linear_ci_above_0"] = int(
            ((imp["coef_ci_low"] > 0) & imp["item"].isin(zero)).sum())
        info["zero_effect_items"] = len(zero)
    return pd.DataFrame(rows), info


def summarise(frame: pd.DataFrame) -> list[dict]:
    out = []
    frame = frame.assign(err=frame["estimate"] - frame["truth"],
                         covered=(frame["estimate"] - frame["truth"]).abs() <= Z * frame["se"])
    for (scenario, method, tercile), g in frame.groupby(["scenario", "method", "tercile"], sort=True):
        ok = g["se"].notna() & g["estimate"].notna()
        out.append({"scenario": scenario, "method": method, "tercile": tercile, "districts": int(ok.sum()),
                    "mean_n": float(g["n"].mean()), "bias": float(g.loc[ok, "err"].mean()),
                    "mse": float((g.loc[ok, "err"] ** 2).mean()), "coverage": float(g.loc[ok, "covered"].mean()),
                    "mean_stated_var": float((g.loc[ok, "se"] ** 2).mean())})
    for (scenario, method), g in frame.groupby(["scenario", "method"], sort=True):
        ok = g["se"].notna() & g["estimate"].notna()
        out.append({"scenario": scenario, "method": method, "tercile": "all", "districts": int(ok.sum()),
                    "mean_n": float(g["n"].mean()), "bias": float(g.loc[ok, "err"].mean()),
                    "mse": float((g.loc[ok, "err"] ** 2).mean()), "coverage": float(g.loc[ok, "covered"].mean())})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="地域幸福度: 小地域推定のベンチマーク (MAR / MNAR)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n-target", type=int, default=2000)
    parser.add_argument("--replicates", type=int, default=60)
    parser.add_argument("--driver-seeds", type=int, default=3)
    parser.add_argument("--delta-max", type=float, default=1.0)
    args = parser.parse_args()
    towns, stops = koga_geography()
    started = time.perf_counter()
    frames, infos = [], []
    for scenario in ("mar", "mnar"):
        for seed in range(1, args.seeds + 1):
            rows, info = one_run(seed, scenario, towns, stops, args.n_target, args.replicates,
                                 drivers=seed <= args.driver_seeds)
            frames.append(rows)
            infos.append(info)
            print(f"{scenario} seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    frame = pd.concat(frames, ignore_index=True)
    per_tercile = summarise(frame)
    table = pd.DataFrame(per_tercile)
    runs = pd.DataFrame(infos)
    mse = table[table["tercile"] == "all"].set_index(["scenario", "method"])["mse"]
    headline = {}
    for scenario in ("mar", "mnar"):
        sub = table[(table["scenario"] == scenario) & (table["method"] == "fay_herriot") & (table["tercile"] != "all")]
        r = runs[runs["scenario"] == scenario]
        # δ-sensitivity: with response rate RR, the population mean is ȳ − (1 − RR)·δ; the range
        # δ ∈ [0, delta_max] holds the truth when the true gap lies inside it.
        low = r["city_weighted"] - (1 - r["response_rate"]) * args.delta_max
        headline[scenario] = {
            "fh_mse_reduction_vs_direct": float(1 - mse[(scenario, "fay_herriot")] / mse[(scenario, "direct")]),
            "shrunk_mse_reduction_vs_direct": float(1 - mse[(scenario, "shrunk")] / mse[(scenario, "direct")]),
            "fh_min_tercile_coverage": float(sub["coverage"].min()),
            "city_bias_mean": float(r["city_bias"].mean()),
            "city_bias_sd": float(r["city_bias"].std(ddof=1)),
            "city_unweighted_bias_mean": float(r["city_unweighted_bias"].mean()),
            "city_interval_coverage": float(r["city_covered"].mean()),
            "true_gap_mean": float(r["true_gap_respondents_minus_nonrespondents"].mean()),
            "sensitivity_range_0_to_delta_max_holds_truth": float(
                ((r["city_truth"] >= low) & (r["city_truth"] <= r["city_weighted"])).mean()),
            "delta_that_removes_the_bias_mean": float((r["city_bias"] / (1 - r["response_rate"])).mean()),
        }
    drivers = runs.dropna(subset=["cv_r2_linear"]) if "cv_r2_linear" in runs else pd.DataFrame()
    out = {
        "benchmark": "wellbeing_sae",
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "settings": {"seeds": args.seeds, "n_target": args.n_target, "replicates": args.replicates,
                     "level": LEVEL, "covariates": list(SAE.covariates), "raking_margins": [list(m) for m in
                                                                                       RAKING.margins],
                     "min_cell": RAKING.min_cell, "delta_max": args.delta_max},
        "headline": headline,
        "per_tercile": per_tercile,
        "drivers": {"cv_r2_linear_mean": float(drivers["cv_r2_linear"].mean()) if len(drivers) else None,
                    "cv_r2_lightgbm_mean": float(drivers["cv_r2_lightgbm"].mean()) if len(drivers) else None,
                    "zero_effect_items_with_linear_ci_above_0_mean": float(
                        drivers["zero_effect_items_with_linear_ci_above_0"].mean()) if len(drivers) else None},
        "per_run": infos,
        "seconds_total": time.perf_counter() - started,
    }
    path = write_json(out, Path(__file__).resolve().parent / "results" / "wellbeing_sae.json")
    print(table.to_string(index=False))
    print(pd.DataFrame(headline).to_string())
    print(f"→ {path}")


if __name__ == "__main__":
    main()
