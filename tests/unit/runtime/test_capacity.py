"""Capacity in one place: consumers in flight = replicas x workers per lane, from settings; the
local stack runs that many processes on their own ports."""

from __future__ import annotations

import pytest
from vp_devtools.stack import instances, port_of
from vp_runtime.capacity import Capacity
from vp_runtime.messaging.topology import default_topology
from vp_runtime.settings import RuntimeSettings


def _pending(capacity: Capacity) -> dict[str, int]:
    return {
        spec.name: spec.max_ack_pending for spec in default_topology(capacity=capacity).consumers
    }


def test_in_flight_work_follows_replicas_and_workers_per_lane() -> None:
    settings = RuntimeSettings.model_validate(
        {
            "generator_replicas": 20,
            "generator_workers": 3,
            "generator_interactive_workers": 2,
            "compositor_replicas": 8,
            "upscaler_replicas": 8,
            "upscaler_workers": 2,
            "planner_replicas": 6,
            "planner_workers": 4,
        }
    )
    pending = _pending(settings.capacity())
    assert pending["generator-scenes-batch"] == 60
    assert pending["generator-scenes-interactive"] == 40
    assert pending["compositor-batch"] == pending["compositor-interactive"] == 8
    assert pending["upscaler"] == 16
    assert pending["planner"] == 24
    assert pending["generator-requests"] == 20 and pending["compositor-dispatch"] == 8


def test_one_replica_of_everything_by_default() -> None:
    pending = _pending(RuntimeSettings().capacity())
    assert pending["generator-scenes-batch"] == pending["generator-scenes-interactive"] == 2
    assert pending["compositor-batch"] == pending["compositor-interactive"] == 1


def test_the_local_stack_runs_the_replicas_asked_for_on_their_own_ports() -> None:
    env = {"VP_GENERATOR_REPLICAS": "3", "VP_GENERATOR_PORT": "9003"}
    names = instances(env)
    assert [n for n in names if n.startswith("generator")] == [
        "generator-1",
        "generator-2",
        "generator-3",
    ]
    assert "gateway" in names and "compositor" in names
    assert [port_of(n, env) for n in names if n.startswith("generator")] == [9003, 9103, 9203]
    assert port_of("compositor", env) == 8004
    with pytest.raises(SystemExit, match="VP_GENERATOR_REPLICAS='many'"):
        instances({"VP_GENERATOR_REPLICAS": "many"})
