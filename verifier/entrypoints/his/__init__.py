"""The HIS gateway: VSS's card-check HTTP contract (`/api/token/take`, `KQNhanLichSuKCB2024`/`2019`)
for hospital information systems, served by the verifier process; see `server.py`."""

from verifier.entrypoints.his.server import (
    RunningHisGateway,
    create_app,
    server_ssl_context,
    start_his_gateway,
)

__all__ = ["RunningHisGateway", "create_app", "server_ssl_context", "start_his_gateway"]
