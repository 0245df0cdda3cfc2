"""`serve --processes N`: what each process runs with."""

from __future__ import annotations

import pytest

from verifier.processes import ProcessesError, child_settings
from verifier.settings import Settings


def test_children_share_the_port_and_only_the_first_serves_the_dashboard() -> None:
    settings = Settings(grpc_listen="127.0.0.1:50051", dashboard_listen="127.0.0.1:8080", server_processes=3)
    children = [child_settings(settings, i) for i in range(3)]
    assert {c.grpc_listen for c in children} == {"127.0.0.1:50051"}
    assert all(c.grpc_reuse_port == 1 and c.server_processes == 1 for c in children)
    assert [c.dashboard_listen for c in children] == ["127.0.0.1:8080", "", ""]
    assert len({c.producer_name for c in children}) == 3  # each process says which wrote an event


@pytest.mark.parametrize("listen", ["127.0.0.1:0", "127.0.0.1"])
def test_several_processes_need_a_fixed_port(listen: str) -> None:
    with pytest.raises(ProcessesError, match="fixed port"):
        child_settings(Settings(grpc_listen=listen, server_processes=2), 0)


def test_each_process_serves_its_own_metrics_port() -> None:
    """Each process counts only what it served, so each is its own scrape target."""
    settings = Settings(grpc_listen="127.0.0.1:50051", metrics_listen="0.0.0.0:9464", server_processes=3)
    assert [child_settings(settings, i).metrics_listen for i in range(3)] == [
        "0.0.0.0:9464",
        "0.0.0.0:9465",
        "0.0.0.0:9466",
    ]
    assert child_settings(settings.with_(metrics_listen=""), 1).metrics_listen == ""
    assert child_settings(settings.with_(metrics_listen="127.0.0.1:0"), 2).metrics_listen == "127.0.0.1:0"
