"""BHYT_LOG_FORMAT=json: one JSON object per line, with the request's fields where they are known."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import pytest

from verifier import logs


def _record(message: str, **extra: str) -> logging.LogRecord:
    record = logging.LogRecord("verifier.access", logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_a_line_is_one_json_object_with_time_level_logger_message() -> None:
    line = logs.JsonFormatter().format(_record("Nguyễn Văn An\nsecond line"))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "INFO" and parsed["logger"] == "verifier.access"
    assert parsed["message"] == "Nguyễn Văn An\nsecond line"
    assert parsed["time"].endswith("+00:00")
    assert not {"check_in_id", "method", "facility", "kiosk"} & parsed.keys()  # unknown: left out


async def test_the_request_context_of_one_task_never_reaches_another() -> None:
    formatter = logs.JsonFormatter()

    async def request(check_in_id: str, facility: str) -> dict[str, str]:
        logs.method.set("CheckIn/VerifyCard")
        logs.set_station(facility, "kiosk-1")
        await asyncio.sleep(0)  # let the other request run in between
        logs.check_in_id.set(check_in_id)
        await asyncio.sleep(0)
        parsed: dict[str, str] = json.loads(formatter.format(_record("answered")))
        return parsed

    first, second = await asyncio.gather(
        asyncio.create_task(request("a1", "40-001")), asyncio.create_task(request("b2", "79-001"))
    )
    assert (first["check_in_id"], first["facility"]) == ("a1", "40-001")
    assert (second["check_in_id"], second["facility"]) == ("b2", "79-001")
    assert first["method"] == "CheckIn/VerifyCard" and first["kiosk"] == "kiosk-1"


def test_extra_fields_name_a_check_in_outside_a_request() -> None:
    parsed = json.loads(logs.JsonFormatter().format(_record("applied", check_in_id="c3", facility="01-001")))
    assert parsed["check_in_id"] == "c3" and parsed["facility"] == "01-001"


def test_an_exception_is_kept_inside_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]


def test_an_unknown_format_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="BHYT_LOG_FORMAT"):
        logs.formatter("yaml")
    text, json_ = logs.logging_config("text"), logs.logging_config("json")
    assert text["formatters"] == {"text": {"format": logs.TEXT_FORMAT}}  # plain, not Faust's colours
    assert json_["formatters"] == {"json": {"()": logs.JsonFormatter}}
