"""The live web dashboard for VSS monitoring staff: alerts as they are raised, and facility statistics.

Read-only and served from the verifier's own event loop (`start_dashboard`); see `server.py`.
"""

from verifier.dashboard.server import AlertReader, RunningDashboard, create_app, start_dashboard

__all__ = ["AlertReader", "RunningDashboard", "create_app", "start_dashboard"]
