"""The demo site: a simulated contact centre writing a real Asterisk queue_log.

Why simulate at the queue_log level: the demo then exercises the same collector, rollups and
evaluation as production, so what a new user sees is what they will get. Calls come from a small
discrete-event simulation (Poisson arrivals with intraday and weekday peaks, agents per hour,
impatient callers), so waits, abandons and the occasional breach are consequences, not dice.

Orders, returns, complaints and surveys are generated as well, so every tile has data. Caller
numbers in the simulated queue_log are fake and are never stored (the collector drops them).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import hmac
import math
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import tomlkit
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from servicelevel.collectors.queue_log.importer import import_file
from servicelevel.config import TargetsWatcher, load_targets
from servicelevel.context import rollup_spec
from servicelevel.store import ingest, make_engine
from servicelevel.store.schema import Complaint, Order, Return, Survey

# The commented example policy ships inside the package (the repository's ./targets.toml links
# to it), so a wheel install runs the demo as a checkout does.
REPO_TARGETS = Path(__file__).resolve().parent / "examples" / "targets.toml"
DEMO_KEY = b"servicelevel-demo"


@dataclass(frozen=True)
class QueueModel:
    """Demand and staffing of one simulated queue."""

    name: str
    peak_calls_per_hour: float
    mean_talk_s: float
    peak_agents: int
    mean_patience_s: float


QUEUES = (
    QueueModel("support", 120, 300, 13, 160),
    QueueModel("sales", 55, 240, 6, 190),
    QueueModel("billing", 30, 270, 4, 160),
)
# Share of the peak hourly demand, by local hour (a two-hump call-centre day).
HOURLY = (
    0.05, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.35, 0.65, 0.90, 1.00, 0.95,
    0.70, 0.75, 0.95, 1.00, 0.85, 0.65, 0.45, 0.30, 0.20, 0.14, 0.10, 0.07,
)  # fmt: skip
WEEKDAY = (1.0, 0.92, 0.88, 0.9, 0.85, 0.45, 0.2)
TIMEOUT_S = 600


def _demand(queue: QueueModel, local: datetime) -> float:
    return queue.peak_calls_per_hour * HOURLY[local.hour] * WEEKDAY[local.weekday()]


def _agents(queue: QueueModel, local: datetime, rng: random.Random) -> int:
    """Staffing follows demand, a little short at some peaks (that is where breaches come from)."""
    share = HOURLY[local.hour] * WEEKDAY[local.weekday()]
    planned = queue.peak_agents * min(1.0, share * 1.05 + 0.08)
    if local.hour in (10, 15) and rng.random() < 0.2:
        planned *= 0.7  # an unplanned absence at the peak
    return max(1, round(planned))


class QueueSimulator:
    """FIFO queue with c(t) agents and impatient callers; yields queue_log lines in time order."""

    def __init__(self, queue: QueueModel, tz: ZoneInfo, rng: random.Random) -> None:
        self.queue, self.tz, self.rng = queue, tz, rng
        self.free_at: list[float] = []  # sorted times at which each agent is next free
        self.hour_agents: dict[int, int] = {}
        self.serial = 0

    def _staff(self, epoch: float) -> None:
        hour = int(epoch // 3600)
        if hour in self.hour_agents:
            return
        wanted = _agents(self.queue, datetime.fromtimestamp(epoch, self.tz), self.rng)
        self.hour_agents[hour] = wanted
        start = hour * 3600.0
        while len(self.free_at) < wanted:
            bisect.insort(self.free_at, start)
        while len(self.free_at) > wanted:
            self.free_at.pop()  # the agent free last leaves after the current call

    def simulate(self, start: float, end: float) -> Iterator[tuple[float, str]]:
        """Events of calls arriving in [start, end), as (epoch, line) pairs (not yet sorted)."""
        q, rng = self.queue, self.rng
        t = start
        while True:
            local = datetime.fromtimestamp(t, self.tz)
            rate = max(_demand(q, local), 0.5) / 3600.0
            t += rng.expovariate(rate)
            if t >= end:
                return
            self._staff(t)
            yield from self._call(t)

    def _call(self, t: float) -> Iterator[tuple[float, str]]:
        q, rng = self.queue, self.rng
        self.serial += 1
        callid = f"{int(t)}.{self.serial}{q.name[:2]}"
        caller = f"06{rng.randrange(10**8):08d}"
        enter = int(t)
        yield enter, f"{enter}|{callid}|{q.name}|NONE|ENTERQUEUE||{caller}|1"
        patience = rng.expovariate(1 / q.mean_patience_s)
        if rng.random() < 0.04:
            patience = rng.uniform(0.5, 4.5)  # wrong number, hung up at once
        free = self.free_at[0]
        wait = max(0.0, free - t)
        if wait > patience or wait > TIMEOUT_S:
            gave_up = min(patience, TIMEOUT_S)
            at = int(t + gave_up)
            waited = at - enter
            event = "ABANDON" if patience < TIMEOUT_S else "EXITWITHTIMEOUT"
            yield at, f"{at}|{callid}|{q.name}|NONE|{event}|1|1|{waited}"
            return
        self.free_at.pop(0)
        talk = max(20.0, rng.lognormvariate(math.log(q.mean_talk_s), 0.5))
        bisect.insort(self.free_at, t + wait + talk)
        agent = f"Agent/{100 + rng.randrange(q.peak_agents)}"
        answer = int(t + wait)
        held = answer - enter
        if held > 8 and rng.random() < 0.15:
            ring_at = answer - 3
            yield ring_at, f"{ring_at}|{callid}|{q.name}|{agent}|RINGNOANSWER|15000"
        yield answer, f"{answer}|{callid}|{q.name}|{agent}|CONNECT|{held}|{callid}b|2"
        done = int(answer + talk)
        who = "COMPLETECALLER" if rng.random() < 0.6 else "COMPLETEAGENT"
        yield done, f"{done}|{callid}|{q.name}|{agent}|{who}|{held}|{done - answer}|1"


def _customer(n: int) -> str:
    return hmac.new(DEMO_KEY, f"customer-{n}".encode(), hashlib.sha256).hexdigest()


def _order(n: int, customer: int, at: datetime, product: str, units: int) -> dict[str, object]:
    return {
        "order_key": f"o{n}",
        "customer_hash": _customer(customer),
        "ordered_at": at,
        "product": product,
        "units": units,
    }


class DemoSite:
    """A demo operation in ``root``: targets.toml, queue_log, SQLite database, live simulator."""

    def __init__(self, root: Path, seed: int = 7) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.seed = seed
        self.targets_path = self.root / "targets.toml"
        self.queue_log = self.root / "queue_log"
        self.db_url = f"sqlite:///{self.root / 'servicelevel.db'}"
        self.engine: Engine = make_engine(self.db_url)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pending: list[tuple[float, int, str]] = []
        self._seq = 0
        self._lock = threading.Lock()

    # -- set-up -------------------------------------------------------------------------------
    def write_targets(self) -> None:
        """The repository's example policy, open round the clock so the demo is never "closed"."""
        text = REPO_TARGETS.read_text() if REPO_TARGETS.exists() else None
        if text is None:
            raise FileNotFoundError("the example targets.toml is missing from the installation")
        document = tomlkit.parse(text)
        if "business_hours" in document:
            del document["business_hours"]
        document["operation"]["name"] = "Demo contact centre"
        # Open round the clock, the simulated night is quiet (about one call an hour early on
        # Sunday): silence there is no broken source, so the demo waits 4 h of it for "stale".
        document["operation"]["stale_after_minutes"] = 240
        self.targets_path.write_text(
            "# Demo copy of targets.toml: business hours removed so the demo runs at any hour,\n"
            "# and stale_after_minutes raised for its quiet simulated nights.\n"
            + tomlkit.dumps(document)
        )

    def prepare(self, history_days: int = 28, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self.write_targets()
        targets = load_targets(self.targets_path).unwrap()
        self.watcher = TargetsWatcher(self.targets_path)
        self.tz = targets.operation.tz
        self.spec = rollup_spec(targets)
        rng = random.Random(self.seed)
        self.simulators = [QueueSimulator(q, self.tz, random.Random(rng.random())) for q in QUEUES]
        start = (now - timedelta(days=history_days)).timestamp()
        self._simulated_until = start
        self._simulate_to(now.timestamp() + 300)
        self._write_due(now.timestamp())
        import_file(self.engine, self.queue_log, self.spec, final=False)
        self._facts(now - timedelta(days=history_days), now, random.Random(self.seed + 1))

    def _simulate_to(self, end: float) -> None:
        events: list[tuple[float, str]] = []
        for simulator in self.simulators:
            events.extend(simulator.simulate(self._simulated_until, end))
        with self._lock:
            for epoch, line in events:
                self._seq += 1
                heapq.heappush(self._pending, (epoch, self._seq, line))
        self._simulated_until = end

    def _write_due(self, until: float) -> None:
        """Append the events whose time has come, in time order (as Asterisk would)."""
        lines = []
        with self._lock:
            while self._pending and self._pending[0][0] <= until:
                lines.append(heapq.heappop(self._pending)[2])
        if lines:
            with self.queue_log.open("a") as handle:
                handle.write("\n".join(lines) + "\n")

    def _facts(self, start: datetime, end: datetime, rng: random.Random) -> None:
        """Orders, returns, complaints and surveys between ``start`` and ``end``."""
        orders, returns, complaints, surveys = [], [], [], []
        day = start
        n = int(start.timestamp())
        while day < end:
            for _ in range(rng.randint(150, 260)):
                n += 1
                at = day + timedelta(seconds=rng.uniform(0, 86400))
                if at >= end:
                    continue
                customer = rng.randrange(4000)
                units = rng.choice((1, 1, 1, 2, 3))
                product = rng.choice(("phone", "router", "plan"))
                orders.append(_order(n, customer, at, product, units))
                if rng.random() < 0.035:
                    back = at + timedelta(days=rng.uniform(1, 12))
                    if back < end:
                        returns.append({"return_key": f"r{n}", "order_key": f"o{n}",
                                        "returned_at": back, "units": 1})  # fmt: skip
            for _ in range(rng.randint(8, 18)):
                n += 1
                opened = day + timedelta(seconds=rng.uniform(0, 86400))
                resolved = opened + timedelta(days=rng.uniform(0.2, 6))
                if opened >= end:
                    continue
                customer = rng.randrange(4000)
                nature = rng.choices(
                    ("late delivery", "billing error", "faulty product", "rude agent", "long wait"),
                    weights=(5, 4, 3, 1, 3),
                )[0]
                complaints.append({"complaint_key": f"c{n}", "customer_hash": _customer(customer),
                                   "opened_at": opened,
                                   "resolved_at": resolved if resolved < end else None,
                                   "nature": nature, "solution": "explained",
                                   "follow_up": None, "compensation": None})  # fmt: skip
                if resolved < end and rng.random() < 0.6:
                    answered = resolved + timedelta(hours=rng.uniform(1, 48))
                    if answered < end:
                        score = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 1, 5, 7))[0]
                        surveys.append({"survey_key": f"s{n}", "complaint_key": f"c{n}",
                                        "answered_at": answered, "score": score})  # fmt: skip
                if resolved < end and rng.random() < 0.5:
                    again = resolved + timedelta(days=rng.uniform(1, 80))
                    if again < end:
                        n += 1
                        orders.append(_order(n, customer, again, "plan", 1))
            day += timedelta(days=1)
        with Session(self.engine) as session, session.begin():
            for model, rows in ((Order, orders), (Return, returns), (Complaint, complaints),
                                (Survey, surveys)):  # fmt: skip
                if rows:
                    session.execute(insert(model), rows)
            for kind in ("orders", "returns", "complaints", "surveys"):
                ingest.mark_source(session, f"demo-{kind}", collector="demo", kind=kind)
        self._facts_until = end

    # -- live ---------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> None:
        """One step of the live demo: simulate ahead, write what is due, import it."""
        now = now or datetime.now(UTC)
        if self._simulated_until < now.timestamp() + 120:
            self._simulate_to(now.timestamp() + 300)
        self._write_due(now.timestamp())
        targets, _errors = self.watcher.current()  # follow edits made on the Targets page
        if targets is not None:
            self.spec = rollup_spec(targets)
        import_file(self.engine, self.queue_log, self.spec, final=False)
        if now - self._facts_until > timedelta(minutes=10):
            self._facts(self._facts_until, now, random.Random(int(now.timestamp())))
        else:
            with Session(self.engine) as session, session.begin():
                for kind in ("orders", "returns", "complaints", "surveys"):
                    ingest.mark_source(session, f"demo-{kind}", collector="demo", kind=kind)

    def start(self, every_s: float = 2.0) -> None:
        def loop() -> None:
            while not self._stop.wait(every_s):
                try:
                    self.tick()
                except Exception as exc:  # keep the demo alive, but say what went wrong
                    print(f"demo simulator: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=loop, name="demo-simulator", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
