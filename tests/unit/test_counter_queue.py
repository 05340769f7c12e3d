"""Erlang C against published values, the simpy queue against Erlang C, and the guards."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kogadx.counter.queue import (
    CounterInputError,
    erlang_c,
    erlang_c_figures,
    serve,
    servers_for_target,
    simulate_stationary,
)


@pytest.mark.parametrize(("servers", "erlangs", "expected"), [
    (1, 0.5, 0.5),          # M/M/1: P(wait) = ρ
    (2, 1.0, 1 / 3),        # a²/2·2/(2−1) / (1 + a + 2) = 1/3
    (3, 2.0, 4 / 9),        # the ErlangC[3, 2] example of Wolfram's reference documentation: 4/9
])
def test_erlang_c_matches_published_values(servers, erlangs, expected):
    assert erlang_c(servers, erlangs) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("servers", "erlangs"), [(10, 8.0), (25, 22.5), (4, 0.3)])
def test_erlang_c_recursion_equals_the_textbook_sum(servers, erlangs):
    # C = (aᶜ/c!)·c/(c−a) / (Σ_{k<c} aᵏ/k! + (aᶜ/c!)·c/(c−a)), evaluated directly
    top = erlangs**servers / math.factorial(servers) * servers / (servers - erlangs)
    direct = top / (sum(erlangs**k / math.factorial(k) for k in range(servers)) + top)
    assert erlang_c(servers, erlangs) == pytest.approx(direct, rel=1e-12)


def test_mm1_mean_wait_is_textbook():
    # M/M/1: Wq = ρ/(μ − λ); λ = 30/h, service 1.5 min → ρ = 0.75, μ − λ = 1/6 per minute → 4.5 min
    assert erlang_c_figures(30, 1.5, 1).mean_wait_min == pytest.approx(4.5)


@pytest.mark.parametrize(("rate", "service", "servers"), [(40, 3, 2), (30, 8, 4), (20, 9, 3)])
def test_unstable_or_non_positive_settings_are_refused_in_japanese(rate, service, servers):
    with pytest.raises(CounterInputError, match="不安定"):
        erlang_c_figures(rate, service, servers)
    with pytest.raises(CounterInputError, match="不安定"):
        simulate_stationary(rate, service, servers, 10, np.random.default_rng(0))
    for bad in (0.0, -2.0, float("nan")):
        with pytest.raises(CounterInputError):
            simulate_stationary(5, bad, servers, 10, np.random.default_rng(0))


def test_short_simulation_is_near_erlang_c():
    # ~36,000 visitors: the long-run 5 % check is in benchmarks/counter_erlang.py; here a loose band
    sim = simulate_stationary(60, 4, 5, 600, np.random.default_rng(7))
    theory = erlang_c_figures(60, 4, 5)
    assert sim.mean_wait_min == pytest.approx(theory.mean_wait_min, rel=0.15)
    assert sim.utilisation == pytest.approx(theory.utilisation, abs=0.02)


def test_servers_for_target_is_the_fewest_meeting_it():
    c = servers_for_target(30, 10, 15.0)
    assert erlang_c_figures(30, 10, c).p90_wait_min <= 15.0
    assert c == 6 or erlang_c_figures(30, 10, c - 1).p90_wait_min > 15.0


def test_serve_is_fcfs_and_respects_the_hourly_schedule():
    arrivals = np.array([0.0, 1, 2, 3, 61, 62, 63])
    service = np.array([30.0, 30, 30, 30, 5, 5, 5])
    start, counter = serve(arrivals, service, servers=2)
    assert list(start[:4]) == [0, 1, 30, 31]
    assert (start >= arrivals).all() and set(counter) == {1, 2}
    # Hour 1 has one counter open: the three visitors of 61–63 go one after another.
    start, counter = serve(arrivals, service, servers_by_hour=[2, 1])
    assert np.allclose(start[4:], [61, 66, 71])
    assert len(set(counter[4:])) == 1
    with pytest.raises(CounterInputError):
        serve(arrivals, np.where(service > 10, 0.0, service), servers=2)


@pytest.mark.parametrize(("rate", "service", "servers"),
                         [(30, 6, 4), (45, 4, 4), (20, 10, 5), (90, 3, 6), (100, 5, 10)])
def test_closed_form_agrees_with_pyworkforce(rate, service, servers):
    # pyworkforce (Erlang C for workforce planning) as an independent implementation
    from pyworkforce.queuing import ErlangC

    target = 15.0
    ref = ErlangC(transactions=rate, aht=service, asa=target, interval=60, shrinkage=0.0)
    ours = erlang_c_figures(rate, service, servers)
    assert ours.p_wait == pytest.approx(ref.waiting_probability(positions=servers), rel=1e-9)
    # service level = P(wait ≤ target) = 1 − C·exp(−(cμ − λ)·target)
    lam, mu = rate / 60, 1 / service
    ours_sl = 1 - ours.p_wait * math.exp(-(servers * mu - lam) * target)
    assert ours_sl == pytest.approx(ref.service_level(positions=servers, scale_positions=False), rel=1e-9)
