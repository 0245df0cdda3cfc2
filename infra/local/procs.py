"""Process plumbing shared by the Kafka and Redis launchers.

Readiness is always polled (``wait_until``) instead of slept for, so start-up costs exactly as
long as the service needs and a dead service fails fast with a clear message.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago (let the kernel pick it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """Return ``count`` distinct free ports; sockets stay bound until all are picked."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.1, what: str) -> None:
    """Poll ``predicate`` until it is true; raise ``TimeoutError`` naming ``what`` otherwise.

    Exceptions raised by the predicate propagate, which lets callers abort early (for example
    when the process they wait for has already died).
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} not ready after {timeout}s")
        time.sleep(interval)


def write_pidfile(path: Path, pid: int) -> None:
    """Record ``pid`` atomically so a concurrent reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(path)


def read_pidfile(path: Path) -> int | None:
    """Return the pid stored in ``path``, or None when there is no usable pidfile."""
    try:
        return int(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs; a zombie counts as dead because it serves nothing.

    The leader of a multi-threaded process (JVM, redis) turns 'Z' while its other threads are
    still exiting, i.e. before ``waitpid`` can reap it; callers holding a ``Popen`` combine
    ``poll()`` with this check so both views agree.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs (macOS): trust kill(0)
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def signal_pid(pid: int, sig: int) -> None:
    """Signal the whole process group when ``pid`` leads its own session, else just ``pid``.

    Detached services are session leaders, so the group signal also reaches any helpers they
    forked; a non-detached child shares *our* group, which must never be signalled.
    """
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def stop_pids(pids: Iterable[int], *, timeout: float = 20.0) -> None:
    """SIGTERM all ``pids`` at once, wait up to ``timeout``, then SIGKILL the survivors.

    Signalling together matters for a KRaft quorum: stopped one by one, the last node would wait
    for a controller majority that no longer exists before giving up on its clean shutdown.
    """
    live = [p for p in pids if pid_alive(p)]
    for pid in live:
        signal_pid(pid, signal.SIGTERM)
    try:
        wait_until(lambda: not any(map(pid_alive, live)), timeout=timeout, what="shutdown")
    except TimeoutError:
        for pid in live:
            if pid_alive(pid):
                signal_pid(pid, signal.SIGKILL)
        wait_until(lambda: not any(map(pid_alive, live)), timeout=10, what="SIGKILL")


def stop_pid(pid: int, *, timeout: float = 20.0) -> None:
    """Stop one process: SIGTERM (group if it leads one), wait, then SIGKILL."""
    stop_pids([pid], timeout=timeout)


def kill_pid(pid: int) -> None:
    """SIGKILL ``pid`` (its group when detached) and wait until it is gone: a simulated crash."""
    signal_pid(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), timeout=10, what=f"kill of pid {pid}")


# Run by a fresh interpreter between our vfork and the service's exec (so with a single thread
# and none of our state): ask for PR_SET_PDEATHSIG, check the launcher did not die before that
# took effect, then become the service under the same pid. argv: launcher pid, program, args...
_EXEC_WITH_PDEATHSIG = """\
import ctypes, os, signal, sys
launcher, argv = int(sys.argv[1]), sys.argv[2:]
try:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
except OSError:
    pass
if os.getppid() != launcher:
    sys.exit("launcher exited before the service started")
os.execv(argv[0], argv)
"""


def spawn(cmd: list[str], *, cwd: Path, console: Path, detach: bool) -> subprocess.Popen[bytes]:
    """Start a service: stdin closed, stdout and stderr appended to ``console``.

    A detached service leads its own session, so it outlives us and ``signal_pid`` reaches its
    whole group. Any other gets SIGTERM when the launching *thread* dies (PR_SET_PDEATHSIG), so a
    crashed or killed test run leaves no orphan JVM; launch from a long-lived thread.

    That signal is requested by a small exec wrapper, never by a ``preexec_fn``. A ``preexec_fn``
    makes ``subprocess`` fork() rather than vfork(), and fork() runs every library's at-fork
    handlers in the child. The test process is a gRPC client: gRPC's handler restarts its threads
    in the child, which then abort it on the descriptors ``close_fds`` closes before exec
    ("epoll_wait error: Bad file descriptor" in ``console``) or deadlock it. ``Popen`` cannot tell
    a child that died before exec from one that exec'd, so a restarted broker seemed to exit
    during start-up without a line of log (and a deadlocked one hung the launch).
    """
    exe = shutil.which(cmd[0])
    if exe is None:
        raise FileNotFoundError(f"{cmd[0]}: not found or not executable")
    argv = [exe, *cmd[1:]]
    if not detach:
        argv = [sys.executable, "-I", "-S", "-c", _EXEC_WITH_PDEATHSIG, str(os.getpid()), *argv]
    with open(console, "ab") as out:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
