"""Erlang A (Palm's M/M/N+M, Garnett-Mandelbaum-Reiman 2002): callers hang up.

As Erlang C, plus every waiting caller abandons after an exponential patience of mean P.
Time is measured in AHTs here (service rate 1), so with traffic ``A``, abandonment rate
``g = AHT / P`` and threshold ``t = T / AHT``:

* The number of calls in the system is a birth-death chain. Relative to the state "all N
  agents busy, nobody waiting" (``pi_N``), the states below weigh ``1/B - 1`` together
  (B = Erlang B, by its recurrence) and the state with k callers waiting weighs
  ``w_k = prod_{i=1..k} A / (N + i g)``; ``pi_N = 1 / (1/B - 1 + sum_k w_k)``.
* P(wait) = ``pi_N sum_k w_k``; P(abandon) = ``g E[queue] / A`` (abandons leave at rate g
  per waiting caller); occupancy = ``A (1 - P(abandon)) / N``.
* A caller arriving behind k others moves up one place at rate ``N + i g`` (i still ahead:
  an agent frees up or one of them hangs up) and hangs up at rate g. They are answered with
  probability ``N / (N + (k+1) g)``, after a mean wait of ``sum_{i=0..k} 1 / (N + (i+1) g)``
  when answered, and their time to reach an agent V satisfies ``exp(-g V) ~ Beta(N/g, k+1)``
  (a product of Beta(N/g + i, 1) factors). So the chance of being answered within t is
  ``N / (N + (k+1) g) * (1 - I_x(N/g + 1, k + 1))`` with ``x = exp(-g t)``, and for whole
  ``k + 1`` the incomplete beta ``I_x`` is a negative binomial sum whose terms follow
  ``u_0 = exp(-(N + g) t)``, ``u_j = u_{j-1} (N + j g) (1 - x) / (g j)``.

Service level = (P(no wait) + sum over k of P(k waiting ahead) x P(answered within t | k)):
abandoned calls are misses. ASA = mean wait of the answered calls.

Why it is stable: nothing is a factorial. The weights are summed in log space (log w_k, then
``exp(log w_k - max)``), so a heavily overloaded interval, whose weights would reach
``e^5000``, is as safe as a quiet one; Erlang B comes from its recurrence; every sum adds
positive terms. The queue is truncated once the rest is provably below 1e-17 of the total
(the weights then fall at least geometrically). As P grows the model becomes Erlang C.
"""

from __future__ import annotations

import math

from servicelevel.errors import StaffingError
from servicelevel.staffing.erlang_c import erlang_b
from servicelevel.staffing.performance import Performance

# The queue's weights are summed until what is left is below this share of the total.
TAIL = 1e-17
# A patience of days with a heavily overloaded interval means millions of queue states; stop
# with a clear error rather than computing for minutes.
MAX_QUEUE_STATES = 5_000_000


def _log_add(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow."""
    if a < b:
        a, b = b, a
    if b == -math.inf:
        return a
    return a + math.log1p(math.exp(b - a))


def _queue_log_weights(agents: int, traffic: float, g: float) -> list[float]:
    """log w_k for k = 0, 1, ... until the rest of the sum (and of k w_k) is below TAIL."""
    log_a = math.log(traffic)
    logs = [0.0]
    top = 0.0
    log_w = 0.0
    k = 0
    while True:
        k += 1
        log_w += log_a - math.log(agents + k * g)
        logs.append(log_w)
        top = max(top, log_w)
        ratio = traffic / (agents + (k + 1) * g)  # every later ratio is smaller still
        if ratio < 1:
            # sum_{j>k} (j + 1) w_j <= w_k (k + 2) / (1 - ratio)^2
            bound = log_w + math.log(k + 2) - 2 * math.log1p(-ratio)
            if bound < top + math.log(TAIL):
                return logs
        if k >= MAX_QUEUE_STATES:
            raise StaffingError(
                f"Erlang A needs more than {MAX_QUEUE_STATES:,} queue states here (a patience "
                "far longer than the handling time in an overloaded interval); use Erlang C "
                "(no patience) or a shorter patience"
            )


def erlang_a_performance(
    agents: int, traffic: float, aht_s: float, answer_within_s: float, patience_s: float
) -> Performance:
    """Erlang A's figures for ``agents`` agents, callers of mean patience ``patience_s``."""
    if agents < 1:
        raise StaffingError(f"agents must be 1 or more, not {agents!r}")
    if patience_s <= 0 or not math.isfinite(patience_s):
        raise StaffingError(f"patience must be a finite number of seconds > 0, not {patience_s!r}")
    if traffic == 0:
        return Performance(agents, 0.0, 1.0, 0.0, 0.0, 0.0)
    b = erlang_b(agents, traffic)
    if b == 0.0:  # so many agents that a wait is below the smallest float
        return Performance(agents, 0.0, 1.0, 0.0, traffic / agents, 0.0)
    n = float(agents)
    g = aht_s / patience_s
    t = answer_within_s / aht_s

    logs = _queue_log_weights(agents, traffic, g)
    top = max(logs)
    # Sums over the waiting states, each weight scaled by exp(-top).
    weight = queued = served = served_wait = served_in_time = 0.0
    # The negative binomial terms u_j of "answered within t", in log space, and their sum.
    log_u = -(n + g) * t
    log_step = math.log(-math.expm1(-g * t) / g) if t > 0 else -math.inf
    u_sum = math.exp(log_u) if t > 0 else 1.0
    wait_when_served = 0.0  # sum_{i=0..k} 1 / (N + (i+1) g)
    for k, log_w in enumerate(logs):
        if k > 0 and t > 0:
            log_u += math.log(n + k * g) + log_step - math.log(k)
            u_sum += math.exp(log_u)
        w = math.exp(log_w - top)
        p_served = n / (n + (k + 1) * g)
        wait_when_served += 1.0 / (n + (k + 1) * g)
        weight += w
        queued += k * w
        served += w * p_served
        served_wait += w * p_served * wait_when_served
        served_in_time += w * p_served * max(0.0, 1.0 - u_sum)

    # The states where an agent is free weigh (1/B - 1) pi_N, scaled by exp(-top) as well.
    log_free = math.log1p(-b) - math.log(b) - top
    log_total = _log_add(log_free, math.log(weight))
    free = math.exp(log_free - log_total)

    def share(x: float) -> float:
        return x * math.exp(-log_total)

    # Rounding may push a probability past 1 by an ulp or two; a share is never above 1.
    abandon = min(1.0, g * share(queued) / traffic)
    answered = free + share(served)
    return Performance(
        agents=agents,
        wait_probability=min(1.0, share(weight)),
        service_level=min(1.0, free + share(served_in_time)),
        asa_s=share(served_wait) / answered * aht_s,
        occupancy=min(1.0, traffic * (1.0 - abandon) / n),
        abandon_rate=abandon,
    )
