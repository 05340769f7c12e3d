"""Benchmark: the simpy counter queue against Erlang C, and how long a long run takes (issue #22).

For each (arrival rate, mean service, counters) setting and seed, a long M/M/c run
(:func:`kogadx.counter.queue.simulate_stationary`, ~``--visitors`` arrivals, first 10 % discarded)
is compared with the closed form: the mean wait must agree within 5 %. Also times an unstable
setting (arrival rate ≥ capacity), which must be refused at once, never simulated.

    .venv/bin/python benchmarks/counter_erlang.py [--seeds 3] [--visitors 300000]

Writes benchmarks/results/counter_erlang.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from kogadx.counter.queue import CounterInputError, erlang_c_figures, simulate_stationary
from kogadx.io import write_json
from kogadx.rng import stream_rng

# (arrivals per hour, mean service minutes, counters): utilisation 0.67–0.75, the venue's range
SETTINGS = [(45.0, 4.0, 4), (30.0, 6.0, 4), (20.0, 10.0, 5), (90.0, 3.0, 6)]
TOLERANCE = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--visitors", type=int, default=300_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "counter_erlang.json")
    args = parser.parse_args()
    rows = []
    for rate, service, servers in SETTINGS:
        theory = erlang_c_figures(rate, service, servers)
        hours = args.visitors / rate
        for seed in range(args.seeds):
            started, cpu = time.perf_counter(), time.process_time()
            sim = simulate_stationary(rate, service, servers, hours,
                                      stream_rng(seed, f"bench/counter/{rate:g}/{service:g}/{servers}"))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            rel = sim.mean_wait_min / theory.mean_wait_min - 1
            rows.append({"rate_per_hour": rate, "service_min": service, "servers": servers,
                         "utilisation": theory.utilisation, "seed": seed, "hours": hours, "visitors": len(sim.waits),
                         "erlang_c_mean_wait_min": theory.mean_wait_min, "sim_mean_wait_min": sim.mean_wait_min,
                         "rel_diff_mean_wait": rel, "erlang_c_p90_wait_min": theory.p90_wait_min,
                         "sim_p90_wait_min": sim.p90_wait_min, "seconds": elapsed,
                         "cpu_seconds": cpu})
            print(f"λ={rate:g}/h s={service:g}分 c={servers} seed={seed}: 平均待ち {sim.mean_wait_min:.3f} 分 "
                  f"(Erlang C {theory.mean_wait_min:.3f}, 差 {rel:+.1%}), 90%点 {sim.p90_wait_min:.2f} "
                  f"(理論 {theory.p90_wait_min:.2f}), {elapsed:.1f} 秒 (CPU {cpu:.1f} 秒)")
    started = time.perf_counter()
    try:
        simulate_stationary(60.0, 5.0, 5, 1e6, stream_rng(0, "bench/unstable"))
        refused = False
    except CounterInputError:
        refused = True
    unstable_seconds = time.perf_counter() - started
    worst = max(abs(r["rel_diff_mean_wait"]) for r in rows)
    result = {
        "settings": [list(s) for s in SETTINGS], "seeds": args.seeds, "visitors_per_run": args.visitors,
        "tolerance": TOLERANCE, "max_abs_rel_diff_mean_wait": worst, "all_within_tolerance": worst <= TOLERANCE,
        "max_seconds_per_run": max(r["seconds"] for r in rows),
        "max_cpu_seconds_per_run": max(r["cpu_seconds"] for r in rows),
        "unstable_refused": refused, "unstable_seconds": unstable_seconds, "runs": rows,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "load_average_1min": os.getloadavg()[0]},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(result, args.out)
    print(f"最大の差 {worst:.1%} (許容 {TOLERANCE:.0%}), 1 回あたり最長 {result['max_seconds_per_run']:.1f} 秒 "
          f"(CPU {result['max_cpu_seconds_per_run']:.1f} 秒); "
          f"不安定な設定: {'拒否' if refused else '実行してしまった'} ({unstable_seconds * 1000:.1f} ms) → {args.out}")
    return 0 if worst <= TOLERANCE and refused else 1


if __name__ == "__main__":
    raise SystemExit(main())
