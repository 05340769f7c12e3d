"""Benchmark: do weighted district means cover the true district means at the stated rate?

For several seeds: a register on Koga's real town layout (kogadx.geo reference towns, 30
districts), a ~2,000-respondent synthetic survey with age- and district-dependent
non-response, raking to age-band × sex and district margins, direct weighted 95% intervals
and empirical-Bayes intervals per district × indicator (26 indicators), compared with the
finite-population truth. Also: raking margin error, driver recovery (5 strongest true
effects among the 7 most important), unweighted intervals for contrast.

    .venv/bin/python benchmarks/wellbeing_coverage.py [--seeds 10] [--n-target 2000]

Writes benchmarks/results/wellbeing_coverage.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kogadx.io import write_json
from kogadx.rng import stream_rng
from kogadx.synth.params import SurveySynth
from kogadx.synth.survey import generate_survey, toy_register
from kogadx.wellbeing.categories import CATEGORY_KEYS
from kogadx.wellbeing.data import standardize_register, standardize_survey
from kogadx.wellbeing.districts import assign_districts, district_order
from kogadx.wellbeing.drivers import fit_drivers
from kogadx.wellbeing.indicators import CITY, district_estimates, shrink_to_city_mean
from kogadx.wellbeing.params import DriverParams, RakingParams
from kogadx.wellbeing.stage import INDICATORS, compute_weights

EDGES = [18, 30, 40, 50, 60, 70, 80, 90]
RAKING = RakingParams(tol=1e-8, max_iter=1000)
LEVEL = 0.95
POPULATION = 59_282  # register total on 2024-02-29 (DOMAIN.md §1)


def koga_towns():
    """Koga's 71 towns as Voronoi polygons from the package's reference geography."""
    from kogadx.geo.reference import load_reference_boundary, load_reference_towns, town_polygons

    return assign_districts(town_polygons(load_reference_towns(), load_reference_boundary()))


def one_seed(seed: int, towns, n_target: int, population: int) -> dict:
    register = toy_register(stream_rng(seed, "bench-register"), towns, population)
    raw, truth = generate_survey(stream_rng(seed, "bench-survey"), register, towns, SurveySynth(n_target=n_target))
    age = ((pd.Timestamp("2024-02-29") - pd.to_datetime(register["birth_date"])).dt.days // 365.25).astype(int)
    residents = pd.DataFrame({"age": age, "sex": register["sex"], "town_code": register["town_code"]})
    respondents = standardize_survey(raw, towns, EDGES)
    reg = standardize_register(residents, towns, EDGES)
    raking = compute_weights(respondents, reg, RAKING)
    order = district_order(towns)
    direct = district_estimates(respondents, raking.weights, INDICATORS, level=LEVEL, districts=order)
    est = shrink_to_city_mean(direct, LEVEL)
    flat = district_estimates(respondents, np.ones(len(respondents)), INDICATORS, level=LEVEL, districts=order)
    truth_means = truth.district_means.rename(columns={"true_mean": "truth"})
    est = est[est["district"] != CITY].merge(truth_means, on=["district", "indicator"], how="left")
    flat = flat[flat["district"] != CITY].merge(truth_means, on=["district", "indicator"], how="left")
    ok = est["ci_low"].notna()
    covered = (est["ci_low"] <= est["truth"]) & (est["truth"] <= est["ci_high"])
    covered_eb = (est["ci_low_eb"] <= est["truth"]) & (est["truth"] <= est["ci_high_eb"])
    covered_flat = (flat["ci_low"] <= flat["truth"]) & (flat["truth"] <= flat["ci_high"])
    drivers = fit_drivers(respondents[list(CATEGORY_KEYS)], respondents["happiness"], seed=seed,
                          config=DriverParams(n_bootstrap=50, n_bootstrap_lgbm=3, cv_folds=5))
    strongest = set(truth.effects.sort_values("rank")["item"].head(5))
    top7_linear = set(drivers.importances.sort_values("rank_linear")["item"].head(7))
    top7_perm = set(drivers.importances.sort_values("rank_permutation")["item"].head(7))
    cv = drivers.cv_scores.groupby("model")["r2"].mean()
    return {
        "seed": seed,
        "respondents": int(len(respondents)),
        "max_margin_error_pp": raking.max_margin_error_pp,
        "kish_deff": raking.kish_deff,
        "intervals": int(ok.sum()),
        "coverage_direct": float(covered[ok].mean()),
        "coverage_eb": float(covered_eb.mean()),
        "coverage_unweighted": float(covered_flat[flat["ci_low"].notna()].mean()),
        "coverage_direct_happiness": float(covered[ok & (est["indicator"] == "happiness")].mean()),
        "mean_abs_error_direct": float((est.loc[ok, "mean"] - est.loc[ok, "truth"]).abs().mean()),
        "mean_abs_error_eb": float((est["mean_eb"] - est["truth"]).abs().mean()),
        "mean_ci_width_direct": float((est.loc[ok, "ci_high"] - est.loc[ok, "ci_low"]).mean()),
        "mean_ci_width_eb": float((est["ci_high_eb"] - est["ci_low_eb"]).mean()),
        "driver_top5_in_top7_linear": strongest <= top7_linear,
        "driver_top5_in_top7_lgbm_permutation": strongest <= top7_perm,
        "cv_r2_linear": float(cv["linear_ridge"]),
        "cv_r2_lightgbm": float(cv["lightgbm"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="地域幸福度: 区間の被覆率ベンチマーク")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--n-target", type=int, default=2000)
    parser.add_argument("--population", type=int, default=POPULATION)
    args = parser.parse_args()
    towns = koga_towns()
    started = time.perf_counter()
    rows = [one_seed(seed, towns, args.n_target, args.population) for seed in range(1, args.seeds + 1)]
    elapsed = time.perf_counter() - started
    frame = pd.DataFrame(rows)
    summary = {
        "nominal_level": LEVEL,
        "seeds": args.seeds,
        "n_target": args.n_target,
        "districts": int(towns["district"].nunique()),
        "indicators": len(INDICATORS),
        "coverage_direct_mean": float(np.average(frame["coverage_direct"], weights=frame["intervals"])),
        "coverage_eb_mean": float(frame["coverage_eb"].mean()),
        "coverage_unweighted_mean": float(frame["coverage_unweighted"].mean()),
        "max_margin_error_pp_worst": float(frame["max_margin_error_pp"].max()),
        "driver_recovery_rate_linear": float(frame["driver_top5_in_top7_linear"].mean()),
        "driver_recovery_rate_lgbm_permutation": float(frame["driver_top5_in_top7_lgbm_permutation"].mean()),
        "mean_abs_error_direct": float(frame["mean_abs_error_direct"].mean()),
        "mean_abs_error_eb": float(frame["mean_abs_error_eb"].mean()),
        "seconds_total": elapsed,
    }
    out = {
        "benchmark": "wellbeing_coverage",
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "summary": summary,
        "per_seed": rows,
    }
    path = write_json(out, Path(__file__).resolve().parent / "results" / "wellbeing_coverage.json")
    print(frame.to_string(index=False))
    print(pd.Series(summary).to_string())
    print(f"→ {path}")


if __name__ == "__main__":
    main()
