"""bhyt.v1.Diagnostics: echo."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.entrypoints.grpc.mappers import answers_errors
from verifier.errors import BadRequest

MAX_ECHO_BYTES = 1024


class DiagnosticsServicer(api_grpc.DiagnosticsServicer):
    """The benchmark baseline: the same server and error handling as a check-in, and no work."""

    @answers_errors
    async def Echo(self, request: api.EchoRequest, context: grpc.aio.ServicerContext) -> api.EchoReply:
        if len(request.payload) > MAX_ECHO_BYTES:
            raise BadRequest(f"payload is {len(request.payload)} bytes; at most {MAX_ECHO_BYTES}")
        return api.EchoReply(payload=request.payload)
