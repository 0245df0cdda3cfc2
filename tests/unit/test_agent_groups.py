"""Which projections share a worker agent (`projections.app.agent_groups`)."""

from __future__ import annotations

from projections.app import agent_groups
from projections.registry import REGISTRY
from verifier.settings import Settings


def test_the_check_ins_readers_share_one_agent_and_every_projection_runs_once() -> None:
    settings = Settings()
    groups = agent_groups(settings)
    names = [[p.name for p in group] for group in groups]
    assert names[0] == ["usage", "monitor", "recheck"]
    assert sorted(n for group in names for n in group) == sorted(p.name for p in REGISTRY)
    assert all(settings.topic_checkins not in p.topics(settings) for group in groups[1:] for p in group)
