"""Erlang A (servicelevel.staffing.erlang_a) against a published snapshot, a brute-force
chain, uniformization, Erlang C in the patient limit, and the properties it must have.

The library sums the queue in log space and gets "answered within T" from a closed form
(an incomplete beta as a negative binomial sum). The references here build the state
probabilities by plain products and get "answered within T" by uniformization of the tagged
caller's chain, a different route to the same number.
"""

from __future__ import annotations

import itertools
import math

import pytest

from servicelevel.staffing import erlang_a_performance, erlang_c_performance


def brute_force(agents: int, traffic: float, aht_s: float, within_s: float, patience_s: float):
    """(P(wait), P(abandon), SL, ASA of the answered) from the truncated chain, in floats.

    Only for moderate sizes (no log space): the weights are plain running products.
    """
    n, g, t = agents, aht_s / patience_s, within_s / aht_s  # time in AHTs, service rate 1
    p = [1.0]
    while len(p) <= n or p[-1] > 1e-20 * sum(p):
        j = len(p)
        p.append(p[-1] * traffic / (min(j, n) + max(j - n, 0) * g))
    total = sum(p)
    p = [x / total for x in p]
    queue = p[n:]  # queue[k]: all agents busy, k callers waiting
    wait = sum(queue)
    abandon = g * sum(k * x for k, x in enumerate(queue)) / traffic

    # Tagged caller with i ahead: moves up at rate n + i g, hangs up at rate g. Uniformize
    # at rate lam; h[i] = P(answered within m jumps | i ahead), built jump by jump.
    size = len(queue)
    lam = n + size * g
    h = [0.0] * size
    poisson = math.exp(-lam * t)
    within = [poisson * x for x in h]
    for m in range(1, int(lam * t + 12 * math.sqrt(lam * t + 1) + 60)):
        ahead = [1.0, *h[:-1]]  # answered once the caller at position 0 moves up
        h = [
            (n + i * g) / lam * ahead[i] + (lam - n - (i + 1) * g) / lam * h[i] for i in range(size)
        ]
        poisson *= lam * t / m
        within = [w + poisson * x for w, x in zip(within, h, strict=True)]
    level = sum(p[:n]) + sum(q * w for q, w in zip(queue, within, strict=True))

    # ASA of the answered, by the recursion over positions: each stage lasts 1 / (n + (i+1) g)
    # on average whatever ends it, and is passed with probability (n + i g) / (n + (i+1) g).
    served, served_time, wait_answered = 1.0, 0.0, 0.0
    for i, q in enumerate(queue):
        rate = n + (i + 1) * g
        served_time = (n + i * g) / rate * (served_time + served / rate)
        served *= (n + i * g) / rate
        wait_answered += q * served_time
    asa = wait_answered / (1 - abandon) * aht_s
    return wait, abandon, level, asa


def test_the_pyworkforce_snapshot_is_reproduced_to_its_digits():
    """pyworkforce (MIT), pyworkforce/queuing/tests/test_abandonment.py,
    test_erlanga_regression_metrics: 100 calls in 30 min, AHT 3 min, patience 5 min, 20 s,
    14 agents. Their ASA is the mean wait of *all* callers, E[queue] / arrival rate, which is
    P(abandon) x patience (abandons leave at rate 1/patience per waiting caller)."""
    perf = erlang_a_performance(14, traffic=10.0, aht_s=180, answer_within_s=20, patience_s=300)
    assert perf.abandon_rate is not None
    assert round(perf.wait_probability, 5) == 0.14526
    assert round(perf.abandon_rate, 6) == 0.013984
    assert round(perf.occupancy, 6) == 0.704297
    assert round(perf.abandon_rate * 300 / 60, 6) == 0.069919  # minutes
    assert round(perf.service_level, 6) == 0.916792


CASES = [
    # agents, traffic, AHT s, threshold s, patience s
    (13, 10.0, 180, 20, 300),
    (8, 10.0, 180, 20, 300),  # overloaded: abandons keep it stable
    (10, 10.0, 180, 0, 60),  # threshold 0: SL = P(no wait)
    (16, 10.0, 180, 60, 1200),
    (3, 2.5, 240, 30, 45),
    (40, 47.5, 300, 20, 90),
]


@pytest.mark.parametrize(("agents", "traffic", "aht", "within", "patience"), CASES)
def test_erlang_a_equals_the_brute_force_chain(agents, traffic, aht, within, patience):
    perf = erlang_a_performance(agents, traffic, aht, within, patience)
    wait, abandon, level, asa = brute_force(agents, traffic, aht, within, patience)
    assert perf.wait_probability == pytest.approx(wait, rel=1e-10)
    assert perf.abandon_rate == pytest.approx(abandon, rel=1e-10)
    assert perf.service_level == pytest.approx(level, rel=1e-9)
    assert perf.asa_s == pytest.approx(asa, rel=1e-9)
    assert perf.occupancy == pytest.approx(traffic * (1 - abandon) / agents, rel=1e-10)


@pytest.mark.parametrize("agents", range(11, 21))
def test_infinite_patience_is_erlang_c(agents):
    c = erlang_c_performance(agents, 10.0, 180, 20)
    gaps = []
    for patience in (1e6, 1e8, 1e12):
        a = erlang_a_performance(agents, 10.0, 180, 20, patience_s=patience)
        gaps.append(abs(a.asa_s - c.asa_s))
    assert gaps[0] > gaps[1] > gaps[2]  # closer and closer as callers grow more patient
    assert a.abandon_rate is not None and a.abandon_rate < 1e-9
    assert a.wait_probability == pytest.approx(c.wait_probability, abs=1e-9)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-9)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-8)
    assert a.occupancy == pytest.approx(c.occupancy, abs=1e-9)


def test_more_agents_mean_fewer_abandons_and_better_service():
    perfs = [erlang_a_performance(n, 25.0, 240, 20, 120) for n in range(1, 60)]
    for fewer, more in itertools.pairwise(perfs):
        assert more.abandon_rate < fewer.abandon_rate
        assert more.service_level > fewer.service_level
        assert more.wait_probability < fewer.wait_probability
        assert more.asa_s < fewer.asa_s
        assert more.occupancy < fewer.occupancy


def test_less_patience_means_more_abandons():
    rates = [erlang_a_performance(12, 10.0, 180, 20, p).abandon_rate for p in (30, 120, 600)]
    assert rates[0] > rates[1] > rates[2] > 0


def test_a_heavily_overloaded_interval_does_not_overflow():
    """3,333 Erlangs on 1,000 agents, patience an hour: the queue's weights reach e^2000 and
    more. Nearly every agent is busy and the abandons are what the agents cannot take."""
    perf = erlang_a_performance(1000, 10000 / 3, 240, 20, 3600)
    assert perf.abandon_rate is not None
    assert 0.99 < perf.occupancy <= 1.0
    assert perf.abandon_rate == pytest.approx(1 - 1000 / (10000 / 3), abs=1e-3)
    assert 0 <= perf.service_level < 0.01
    assert math.isfinite(perf.asa_s)


def test_thousands_of_agents_match_erlang_c_with_patient_callers():
    a = erlang_a_performance(3400, 3333.3, 240, 20, patience_s=1e8)
    c = erlang_c_performance(3400, 3333.3, 240, 20)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-5)
