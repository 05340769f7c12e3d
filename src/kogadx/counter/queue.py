"""Counter queues: the Erlang C closed form (M/M/c) and a discrete-event simulation (simpy).

Rates are per hour, service times in minutes, waits in minutes. Every entry point checks its
input first: a non-positive service time or an arrival rate at or above the counters' capacity
stops with a Japanese :class:`CounterInputError` (exit code 2 from the CLI and the stage), so a
simulation never runs on a queue that grows without bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import simpy

from kogadx.errors import UserFacingError


class CounterInputError(UserFacingError, ValueError):
    """A queue setting that cannot be computed (unstable, non-positive, not finite)."""


def check_queue(rate_per_hour: float, service_min: float, servers: int) -> None:
    """Refuse settings without a steady state, in words a counter manager understands."""
    for name, value in (("到着率 (人/時)", rate_per_hour), ("平均処理時間 (分)", service_min)):
        if not math.isfinite(value):
            raise CounterInputError(f"{name} が数値ではありません")
    if service_min <= 0:
        raise CounterInputError(f"平均処理時間は正の値にしてください (指定: {service_min:g} 分)")
    if rate_per_hour < 0:
        raise CounterInputError(f"到着率は 0 以上にしてください (指定: {rate_per_hour:g} 人/時)")
    if servers < 1:
        raise CounterInputError(f"窓口数は 1 以上にしてください (指定: {servers})")
    capacity = servers * 60.0 / service_min
    if rate_per_hour >= capacity:
        raise CounterInputError(
            f"不安定な設定です: 到着率 {rate_per_hour:g} 人/時 が処理能力 {capacity:.3g} 人/時 "
            f"(窓口 {servers} × 60 / {service_min:g} 分) 以上なので、待ち行列は限りなく伸びます。"
            "窓口を増やすか、処理時間を短くしてください")


def erlang_c(servers: int, offered_erlangs: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang C), computed through the stable
    Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), C = B / (1 − ρ(1 − B))."""
    a = float(offered_erlangs)
    if a <= 0:
        return 0.0
    if a >= servers:
        raise CounterInputError(f"不安定な設定です: 負荷 {a:.3g} アーラン ≥ 窓口数 {servers}")
    b = 1.0
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    rho = a / servers
    return b / (1.0 - rho * (1.0 - b))


@dataclass(frozen=True)
class QueueFigures:
    """Steady-state figures of one setting (minutes; utilisation in [0, 1))."""

    p_wait: float
    mean_wait_min: float
    p90_wait_min: float
    utilisation: float


def erlang_c_figures(rate_per_hour: float, service_min: float, servers: int, quantile: float = 0.9) -> QueueFigures:
    """Mean wait and a wait quantile of M/M/c: P(W > t) = C·exp(−(cμ − λ)t)."""
    check_queue(rate_per_hour, service_min, servers)
    mu = 1.0 / service_min  # per minute
    lam = rate_per_hour / 60.0
    c = erlang_c(servers, lam / mu)
    drain = servers * mu - lam
    mean_wait = c / drain
    tail = 1.0 - quantile
    p_q = 0.0 if c <= tail else math.log(c / tail) / drain
    return QueueFigures(c, mean_wait, p_q, lam / (servers * mu))


def servers_for_target(rate_per_hour: float, service_min: float, target_min: float, quantile: float = 0.9,
                       max_servers: int = 200) -> int:
    """Fewest counters whose Erlang C wait quantile is at or below ``target_min`` (0 if no arrivals)."""
    if rate_per_hour <= 0:
        return 0
    start = max(1, math.floor(rate_per_hour * service_min / 60.0) + 1)
    for c in range(start, max_servers + 1):
        if erlang_c_figures(rate_per_hour, service_min, c, quantile).p90_wait_min <= target_min:
            return c
    raise CounterInputError(f"窓口 {max_servers} 以内では待ち時間の目標 {target_min:g} 分を満たせません")


def serve(arrival_min: Sequence[float] | np.ndarray, service_min: Sequence[float] | np.ndarray,
          servers_by_hour: Sequence[int] | None = None, servers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Serve arrivals first come, first served with simpy; returns (start minute, counter number 1…).

    ``servers_by_hour[h]`` counters are open in hour h (minutes 60h … 60h+59). A counter that
    closes finishes the person at it first (a closing is a high-priority claim on the counter);
    people still queued after the last hour are served by the last hour's counters. Without a
    schedule, ``servers`` counters are open throughout.
    """
    arrivals = np.asarray(arrival_min, dtype=float)
    services = np.asarray(service_min, dtype=float)
    if len(arrivals) != len(services):
        raise ValueError("arrivals and service times differ in length")
    if len(services) and not float(services.min()) > 0:
        raise CounterInputError("処理時間に 0 以下の値があります")
    schedule = [int(c) for c in servers_by_hour] if servers_by_hour is not None else None
    n_counters = max(schedule) if schedule else servers
    if n_counters < 1 or (schedule is not None and schedule[-1] < 1):
        raise CounterInputError("窓口数は 1 以上にしてください (最後の時間帯も含む)")
    env = simpy.Environment()
    desk = simpy.PriorityResource(env, capacity=n_counters)
    free = list(range(1, n_counters + 1))  # counter numbers not in use, lowest first
    start = np.full(len(arrivals), np.nan)
    counter = np.zeros(len(arrivals), dtype=int)

    def person(i: int):
        with desk.request(priority=1) as req:
            yield req
            start[i] = env.now
            counter[i] = free.pop(0)
            yield env.timeout(services[i])
            free.append(int(counter[i]))
            free.sort()

    def source():
        for i in np.argsort(arrivals, kind="stable"):
            if arrivals[i] > env.now:
                yield env.timeout(arrivals[i] - env.now)
            env.process(person(int(i)))

    def closer(begin: float, end: float):
        yield env.timeout(begin)
        with desk.request(priority=0) as req:
            yield req
            k = free.pop()  # the highest free number closes
            yield env.timeout(max(end - env.now, 0.0))
            free.append(k)
            free.sort()

    if schedule is not None:
        last = len(schedule)
        for k in range(n_counters):
            # one claim per run of consecutive closed hours of counter slot k (no gap between hours)
            h = 0
            while h < last:
                if k >= schedule[h]:
                    run_end = h
                    while run_end < last and k >= schedule[run_end]:
                        run_end += 1
                    end = 60.0 * run_end if run_end < last else _FOREVER
                    env.process(closer(60.0 * h, end))
                    h = run_end
                else:
                    h += 1
    env.process(source())
    env.run(until=_FOREVER)
    return start, counter


_FOREVER = 1e9  # minutes; a closing in the last hour lasts past every service


def _serve_fixed(arrivals: np.ndarray, services: np.ndarray, servers: int) -> np.ndarray:
    """FCFS over a fixed number of counters (the fast path for long runs): one simpy process per
    counter takes the next visitor from a FIFO store, so a visitor costs a few events, not a process."""
    env = simpy.Environment()
    line = simpy.Store(env)
    start = np.empty(len(arrivals))

    def counter():
        while True:
            i = yield line.get()
            start[i] = env.now
            yield env.timeout(services[i])

    def source():
        for i in range(len(arrivals)):
            yield env.timeout(arrivals[i] - env.now)
            line.put(i)

    for _ in range(servers):
        env.process(counter())
    env.process(source())
    env.run()
    return start


@dataclass(frozen=True)
class SimulationResult:
    """Waits of one long run (minutes) and the run's utilisation."""

    waits: np.ndarray
    utilisation: float

    @property
    def mean_wait_min(self) -> float:
        return float(self.waits.mean()) if len(self.waits) else 0.0

    @property
    def p90_wait_min(self) -> float:
        return float(np.quantile(self.waits, 0.9)) if len(self.waits) else 0.0


def simulate_stationary(rate_per_hour: float, service_min: float, servers: int, hours: float,
                        rng: np.random.Generator, warmup_hours: float | None = None) -> SimulationResult:
    """A long M/M/c run: Poisson arrivals, exponential service, FCFS over ``servers`` counters.

    The first ``warmup_hours`` (default 10 % of the run) are discarded, so the figures are of
    the steady state that Erlang C describes.
    """
    check_queue(rate_per_hour, service_min, servers)
    if hours <= 0:
        raise CounterInputError(f"シミュレーション時間は正の値にしてください (指定: {hours:g} 時間)")
    horizon = hours * 60.0
    n = int(rng.poisson(rate_per_hour * hours))
    arrivals = np.sort(rng.uniform(0.0, horizon, n))
    services = rng.exponential(service_min, n)
    start = _serve_fixed(arrivals, services, servers)
    waits = start - arrivals
    warm = horizon * 0.1 if warmup_hours is None else warmup_hours * 60.0
    keep = arrivals >= warm
    busy = np.minimum(start + services, horizon) - np.minimum(start, horizon)
    utilisation = float(busy.sum() / (servers * horizon))
    return SimulationResult(waits[keep], utilisation)
