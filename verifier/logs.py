"""Log lines an operator can follow a check-in through: text for people, JSON lines for machines.

`BHYT_LOG_FORMAT=json` makes every line one JSON object (`time`, `level`, `logger`, `message`, and
`check_in_id`, `method`, `facility`, `kiosk` where known), so a log pipeline can join the kiosk's
answer in the verifier with the projection's apply in a worker on `check_in_id`.

Where known: the gRPC boundary sets the request's fields in context variables (each RPC runs in its
own task, so they never leak into another request), and a log call may pass them as `extra=`
(a worker applying a batch has no request). Only stdlib here: the verifier and the workers both use
it, and it must not pull infrastructure into either.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The fields a line carries when they are known; the order JSON lines show them in.
CONTEXT_FIELDS = ("check_in_id", "method", "facility", "kiosk")

check_in_id: contextvars.ContextVar[str] = contextvars.ContextVar("check_in_id", default="")
method: contextvars.ContextVar[str] = contextvars.ContextVar("method", default="")
facility: contextvars.ContextVar[str] = contextvars.ContextVar("facility", default="")
kiosk: contextvars.ContextVar[str] = contextvars.ContextVar("kiosk", default="")
_VARS = {"check_in_id": check_in_id, "method": method, "facility": facility, "kiosk": kiosk}


def set_station(facility_id: str, kiosk_id: str) -> None:
    """Called where the request's place is resolved (from the certificate, or the request in
    development), so every later line of this request names it."""
    facility.set(facility_id)
    kiosk.set(kiosk_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on an odd message (a log line must not fail a request)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None) or _VARS[name].get()
            if value:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(fmt: str) -> logging.Formatter:
    """The formatter for BHYT_LOG_FORMAT; ValueError names the setting on anything else."""
    if fmt == "json":
        return JsonFormatter()
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"BHYT_LOG_FORMAT={fmt!r}: one of {', '.join(FORMATS)}")


def configure(level: int | str, fmt: str) -> None:
    """The root logger of a verifier process (the workers' logging is set up by Faust: see
    `logging_config`)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def logging_config(fmt: str) -> dict[str, Any]:
    """For Faust's `logging_config` (merged into mode's own): the default handler writes our lines,
    JSON or the verifier's plain text. Not Faust's coloured text: colorlog rebuilt its escape-code
    table for every record and cost a worker 5-7% of its CPU under load (BENCHMARKS.md), and
    colour codes do not belong in a log file."""
    formatter(fmt)  # refuses an unknown format at start-up
    chosen = {"()": JsonFormatter} if fmt == "json" else {"format": TEXT_FORMAT}
    return {
        "merge": True,
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {fmt: chosen},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": fmt}},
    }
