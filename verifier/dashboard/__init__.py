"""The live web dashboard for VSS monitoring staff: alerts as they are raised, facility statistics,
and the two staff actions (acknowledge, close), behind a login with a `monitoring` account.

Served from the verifier's own event loop (`start_dashboard`); see `server.py` and `sessions.py`.
"""

from verifier.dashboard.server import AlertReader, RunningDashboard, create_app, start_dashboard
from verifier.dashboard.sessions import StaffLogin

__all__ = ["AlertReader", "RunningDashboard", "StaffLogin", "create_app", "start_dashboard"]
