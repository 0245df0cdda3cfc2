"""Every field of every gRPC request has a size limit; oversized values are a 205 naming the field.

The coverage test walks the descriptors of `api.proto` (the input type of every method of every
service, and the message types nested in them), so a field added to the contract without a limit
fails here rather than reaching the parsers unbounded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bhyt.v1 import api_pb2 as api
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from tests.support.chip_fixtures import make_chip
from verifier.adapters.request_limits import LIMITS, check_request, needs_limit
from verifier.errors import BadRequest

Path = tuple[FieldDescriptor, ...]


def request_types() -> list[Descriptor]:
    """The input type of every method of every service, each once."""
    found: dict[str, Descriptor] = {}
    for service in api.DESCRIPTOR.services_by_name.values():
        for method in service.methods:
            found.setdefault(method.input_type.full_name, method.input_type)
    return list(found.values())


def field_paths(message: Descriptor, prefix: Path = ()) -> Iterator[Path]:
    """Every field reachable from `message`, through nested messages and map values."""
    for field in message.fields:
        path = (*prefix, field)
        yield path
        nested = field.message_type
        if nested is None:
            continue
        if nested.GetOptions().map_entry:
            value = nested.fields_by_name["value"]
            if value.message_type is not None:
                yield from field_paths(value.message_type, path)
        elif nested.full_name not in {p.message_type.full_name for p in prefix if p.message_type}:
            yield from field_paths(nested, path)


ALL_PATHS = [(root, path) for root in request_types() for path in field_paths(root)]
LIMITED = [(root, path) for root, path in ALL_PATHS if needs_limit(path[-1])]


def test_the_walk_sees_the_whole_contract() -> None:
    names = {root.name for root in request_types()}
    assert {"VerifyCardRequest", "VerifyChipRequest", "AlertActionRequest", "EchoRequest"} <= names
    fields = {path[-1].full_name for _, path in LIMITED}
    assert "bhyt.v1.FaceMatch.matcher" in fields  # nested in VerifyChipRequest
    assert "bhyt.v1.AlertFilter.rule" in fields  # nested in WatchAlertsRequest and ListAlertsRequest
    assert "bhyt.v1.VerifyChipRequest.data_groups" in fields  # a map


def test_every_string_bytes_repeated_and_map_field_of_every_request_has_a_limit() -> None:
    missing = sorted({path[-1].full_name for _, path in LIMITED} - set(LIMITS))
    assert not missing, f"fields of request messages without a size limit in request_limits.LIMITS: {missing}"


def test_every_limit_names_a_field_that_exists() -> None:
    existing = {path[-1].full_name for _, path in ALL_PATHS}
    assert not sorted(set(LIMITS) - existing)


def _request_with(root: Descriptor, path: Path, oversize: int) -> tuple[Message, str, int]:
    """`root` with the field at `path` filled to its limit plus `oversize`; the field's shown name."""
    request = GetMessageClass(root)()
    holder: Message = request
    for field in path[:-1]:
        holder = getattr(holder, field.name)
    field = path[-1]
    limit = LIMITS[field.full_name]
    name = ".".join(f.name for f in path)
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        count = limit.size + oversize
        entries = getattr(holder, field.name)
        for key in range(1, count + 1):
            entries[key] = b"x"
        return request, name, limit.size
    size = limit.size + oversize
    setattr(holder, field.name, b"x" * size if field.type == FieldDescriptor.TYPE_BYTES else "x" * size)
    return request, name, limit.size


@pytest.mark.parametrize(
    ("root", "path"), LIMITED, ids=[".".join((r.name, *(f.name for f in p))) for r, p in LIMITED]
)
def test_a_field_over_its_limit_is_a_bad_request_naming_it(root: Descriptor, path: Path) -> None:
    at_limit, _, _ = _request_with(root, path, 0)
    check_request(at_limit)
    over, name, limit = _request_with(root, path, 1)
    with pytest.raises(BadRequest) as refused:
        check_request(over)
    assert refused.value.code == "205"
    assert str(refused.value).startswith(f"{name} ")
    assert f"at most {limit}" in str(refused.value)


def test_a_data_group_over_its_size_is_refused_by_number() -> None:
    request = api.VerifyChipRequest(data_groups={1: b"x" * (256 * 1024 + 1)})
    with pytest.raises(BadRequest, match=r"^data_groups\[1\] is 262145 bytes; at most 262144$"):
        check_request(request)


def test_multibyte_text_is_counted_in_characters() -> None:
    check_request(api.VerifyCardRequest(full_name="Nguyễn Văn Ẩn " * 14))  # 196 characters, 300+ bytes
    with pytest.raises(BadRequest, match=r"^full_name is 201 characters; at most 200$"):
        check_request(api.VerifyCardRequest(full_name="ễ" * 201))


def test_real_requests_pass() -> None:
    chip = make_chip(aa="ec")
    check_request(
        api.VerifyChipRequest(
            facility_id="40-001",
            kiosk_id="kiosk-7",
            session_id="0f" * 16,
            sod=chip.sod,
            data_groups=chip.data_groups,
            active_auth_signature=b"\x01" * 64,
            face_match=api.FaceMatch(score=0.93, threshold=0.8, liveness="passed", matcher="vendor-x 2.1"),
            staff_id="Nguyễn Thị Lan / NV042",
        )
    )
    check_request(
        api.VerifyCardRequest(
            card_number="GD4 40 4016354956",
            facility_id="40-001",
            kiosk_id="kiosk-7",
            full_name="Nguyễn Văn An",
            date_of_birth="1990-05-01",
            personal_id="040090001234",
            staff_id="NV042",
        )
    )
    check_request(api.VerifyScanRequest(scanned="BHYT1:" + "A" * 4090, facility_id="40-001", kiosk_id="k"))
    check_request(api.WatchAlertsRequest(filter=api.AlertFilter(province="79", rule="two_facilities")))
    check_request(api.AlertActionRequest(alert_id="al-1", staff_id="nv-01", note="x" * 1000))
    check_request(api.EchoRequest(payload=b"x" * 1024))
    check_request(api.ListSigningKeysRequest())
