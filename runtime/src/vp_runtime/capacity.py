"""How much work the pipeline runs at once, in one place: the consumers are declared with it,
each process starts that many workers, and the Kubernetes manifests scale to it."""

from __future__ import annotations

from dataclasses import dataclass

LANES = ("interactive", "batch")
"""Priority lanes of work: previews and single scenes before final renders and batch work.
Each lane has its own consumers and workers, so a final in progress never holds a preview."""

JOB_STAGES = {"scene": "generator", "compose": "compositor", "segment": "compositor"}
"""Which stage's workers take each kind of job on the work queue."""


@dataclass(frozen=True)
class Capacity:
    """How much work runs at once: per stage, the most replicas that run and the workers of
    each process per lane. Every consumer lets exactly replicas x workers messages be in flight,
    and each worker pulls one message at a time, so replicas add capacity and none fetches more
    than it can run. The Kubernetes manifests use the same figures (``maxReplicaCount``)."""

    planner_replicas: int = 1
    planner_workers: int = 1
    generator_replicas: int = 1
    generator_workers: int = 2
    """Scene jobs of final renders at once per generator process."""
    generator_interactive_workers: int = 2
    """Scene jobs of previews and single-scene regenerations at once per generator process."""
    compositor_replicas: int = 1
    compositor_workers: int = 1
    """Final masters composed at once per compositor process."""
    compositor_interactive_workers: int = 1
    """Previews composed at once per compositor process."""
    upscaler_replicas: int = 1
    upscaler_workers: int = 1

    def in_flight(self, stage: str, lane: str = "batch") -> int:
        """Messages of ``stage`` (and ``lane``) the whole cluster works on at once."""
        return int(getattr(self, f"{stage}_replicas")) * self.workers(stage, lane)

    def workers(self, stage: str, lane: str = "batch") -> int:
        """Messages of ``stage`` (and ``lane``) one process works on at once."""
        interactive = f"{stage}_interactive_workers"
        if lane == "interactive" and hasattr(self, interactive):
            return int(getattr(self, interactive))
        return int(getattr(self, f"{stage}_workers"))


DEFAULT_CAPACITY = Capacity()
