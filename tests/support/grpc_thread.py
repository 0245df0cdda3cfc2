"""A gRPC server on a free port, run by its own event loop in a thread: how the CLI (a synchronous
gRPC client) meets our servicers in production, without starting a verifier process.

    with grpc_in_thread(lambda server: api_grpc.add_XServicer_to_server(XServicer(...), server)) as target:
        main([..., "--target", target, "--plaintext"])
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import grpc


@contextmanager
def grpc_in_thread(register: Callable[[grpc.aio.Server], None]) -> Iterator[str]:
    """Serve what `register` adds (plaintext, 127.0.0.1) until the block ends; yields host:port."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stopping: asyncio.Event | None = None
    port = 0

    async def serve() -> None:
        nonlocal stopping, port
        stopping = asyncio.Event()
        server = grpc.aio.server()
        register(server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        started.set()
        await stopping.wait()
        await server.stop(0)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10), "the test server did not start"
    try:
        yield f"127.0.0.1:{port}"
    finally:
        assert stopping is not None
        loop.call_soon_threadsafe(stopping.set)
        thread.join(10)
        loop.close()
