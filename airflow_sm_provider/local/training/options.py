"""How a backend runs training jobs: its instance limit and the spot interruption simulator.

``SpotInterruptions`` is opt-in (``serve --spot-interruptions SPEC``): it interrupts managed
spot jobs (``EnableManagedSpotTraining``) while they train, as a reclaimed spot instance would,
so that checkpoint-resume code can be tested offline. ``SPEC`` is either a schedule, ``30`` or
``30,60`` (the first run is interrupted after 30 s of training, the second after 60 s, later runs
are not), or a rate, ``p=0.05`` or ``p=0.05,seed=7`` (each second of training is interrupted
with that probability; with a seed the draws depend only on the job name and the attempt).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from airflow_sm_provider.local.cgroups import KINDS
from airflow_sm_provider.local.training.isolation import NetworkIsolation

DEFAULT_MAX_INSTANCES = 4


@dataclass(frozen=True)
class SpotInterruptions:
    """When spot jobs are interrupted: a ``schedule`` of training seconds per run, or a per-second
    ``probability``."""

    schedule: tuple[float, ...] = ()
    probability: float = 0.0
    seed: int | None = None

    @classmethod
    def parse(cls, spec: str) -> SpotInterruptions:
        """``"30,60"`` or ``"p=0.05[,seed=7]"``; ``ValueError`` naming the problem otherwise."""
        parts = [part.strip() for part in spec.split(",") if part.strip()]
        if not parts:
            raise ValueError("empty spot interruption spec")
        if parts[0].startswith("p="):
            options = dict(part.split("=", 1) for part in parts if "=" in part)
            if set(options) - {"p", "seed"} or len(options) != len(parts):
                raise ValueError(f"spot interruption rate: p=PROBABILITY[,seed=N], not {spec!r}")
            probability = float(options["p"])
            if not 0 < probability <= 1:
                raise ValueError(f"spot interruption probability must be in (0, 1], got {probability}")
            seed = int(options["seed"]) if "seed" in options else None
            return cls(probability=probability, seed=seed)
        schedule = tuple(float(part) for part in parts)
        if any(delay <= 0 for delay in schedule):
            raise ValueError(f"spot interruption delays must be positive seconds, got {spec!r}")
        return cls(schedule=schedule)

    def delay(self, job: str, attempt: int) -> float | None:
        """Seconds of training after which run ``attempt`` (0 first) of ``job`` is interrupted;
        None if it is not."""
        if self.schedule:
            return self.schedule[attempt] if attempt < len(self.schedule) else None
        if self.probability <= 0:
            return None
        rng = random.Random(f"{self.seed}:{job}:{attempt}") if self.seed is not None else random.Random()
        return rng.expovariate(self.probability)


@dataclass(frozen=True)
class TrainingOptions:
    """Backend-wide settings of training jobs.

    :param max_instances: the most instances (hosts, each a process) one job may ask for.
    :param spot: the spot interruption simulator, off by default.
    :param isolation: how to enforce ``EnableNetworkIsolation``; detected on first use if None.
    :param cgroups: the cgroup hierarchies to track job processes in, the first usable one
        (``cgroups.KINDS``); empty for none.
    """

    max_instances: int = DEFAULT_MAX_INSTANCES
    spot: SpotInterruptions | None = None
    isolation: NetworkIsolation | None = None
    cgroups: tuple[str, ...] = KINDS
