"""The HIS gateway (VSS's card-check contract): the request parser, the answer mapping, the use case
on the fakes of the ports, and the aiohttp application through aiohttp's test client, each answer
validated against the gateway's own OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator

from tests.support.fakes import FakeAccounts, FakeEventLog, FakeReadModel
from tests.support.his_contract import schema_validator
from tests.support.people import AN
from verifier.domain.credentials import Credential
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.his_request import (
    HisParameterProblem,
    Shape,
    format_day,
    parse_fields,
    parse_form_body,
    parse_json_body,
)
from verifier.domain.participation import CardValidity
from verifier.domain.usage import UsageEntry
from verifier.entrypoints.his import create_app
from verifier.entrypoints.his.answers import CARD_FIELDS, card_answer, registered_facility_code
from verifier.entrypoints.his.openapi import openapi_document
from verifier.errors import EventLogUnavailable, Unauthenticated
from verifier.events.facts import CheckInVerified
from verifier.service.accounts import Role
from verifier.service.his_lookup import (
    HisGateway,
    HisLookup,
    StaffNameMismatch,
    StaffNotRegistered,
    his_kiosk_id,
)
from verifier.settings import Settings

NOW = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, within AN's card
FACILITY = "40-001"
STAFF_CCCD = "040185000111"
VALID = "Thông tin thẻ chính xác"
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
BODY_2024 = {
    "maThe": "GD4404016354956",
    "hoTen": "Nguyễn Văn An",
    "ngaySinh": "01/05/1990",
    "hoTenCb": "Trần Thị Lan",
    "cccdCb": STAFF_CCCD,
}


# ---- the parser ------------------------------------------------------------------------------------


def test_a_2024_body_becomes_a_his_lookup_with_the_claim() -> None:
    query = parse_json_body(_json(BODY_2024), Shape.V2024)
    assert (query.card, query.full_name, query.birth, query.birth_year_only) == (
        "GD4404016354956",
        "Nguyễn Văn An",
        date(1990, 5, 1),
        False,
    )
    assert (query.staff_name, query.staff_personal_id) == ("Trần Thị Lan", STAFF_CCCD)
    presented = query.presented()
    assert presented.credential is Credential.HIS_LOOKUP
    assert presented.lookup is not None and presented.lookup.social_insurance_number == "4016354956"
    assert presented.claim.full_name == "Nguyễn Văn An" and presented.claim.date_of_birth == date(1990, 5, 1)


def test_a_year_only_birth_date_and_a_cccd_number_as_mathe() -> None:
    query = parse_form_body(b"maThe=040090001234&hoTen=Nguy%E1%BB%85n+V%C4%83n+An&ngaySinh=1990", Shape.V2019)
    assert query.birth_year_only and query.birth == date(1990, 1, 1)
    presented = query.presented()
    assert presented.lookup is not None and presented.lookup.personal_id == "040090001234"
    assert presented.claim.birth_year == 1990 and presented.claim.date_of_birth is None


def test_a_ten_digit_number_and_spaces_typed_in_the_card() -> None:
    assert parse_fields({**BODY_2024, "maThe": "4016354956"}, Shape.V2019).card == "4016354956"
    assert parse_fields({**BODY_2024, "maThe": " gd4 40 4016354956 "}, Shape.V2019).card == "GD4404016354956"


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"maThe": "GD44040163549"}, "maThe"),
        ({"maThe": "04009000123"}, "maThe"),
        ({"maThe": None}, "maThe"),
        ({"maThe": 4016354956}, "maThe"),
        ({"hoTen": ""}, "hoTen"),
        ({"hoTen": "1234"}, "hoTen"),
        ({"hoTen": "An\u200b"}, "hoTen"),
        ({"hoTen": "A" * 201}, "hoTen"),
        ({"ngaySinh": "1990-05-01"}, "ngaySinh"),
        ({"ngaySinh": "31/02/1990"}, "ngaySinh"),
        ({"ngaySinh": "1850"}, "ngaySinh"),
        ({"hoTenCb": ""}, "hoTenCb"),
        ({"cccdCb": "04018500011"}, "cccdCb"),
    ],
)
def test_a_malformed_parameter_is_205_naming_it(change: dict[str, Any], parameter: str) -> None:
    with pytest.raises(HisParameterProblem) as caught:
        parse_fields({**BODY_2024, **change}, Shape.V2024)
    assert caught.value.parameter == parameter and caught.value.code == "205"


def test_2019_needs_no_staff_fields_and_other_keys_are_ignored() -> None:
    body = {"maThe": "GD4404016354956", "hoTen": "An", "ngaySinh": "1990", "maCSKCB": "40001"}
    assert parse_fields(body, Shape.V2019).staff_personal_id == ""
    with pytest.raises(HisParameterProblem, match="hoTenCb"):
        parse_fields(body, Shape.V2024)


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b"null", b"{", b'"maThe"', b"\xff\xfe", b'{"maThe": "A", "maThe": "B"}', b"[" * 100_000],
)
def test_a_json_body_that_is_not_one_object_is_205(body: bytes) -> None:
    with pytest.raises(HisParameterProblem):
        parse_json_body(body, Shape.V2019)


@pytest.mark.parametrize("body", [b"maThe=1&maThe=2", b"a&&b", b"\xff=1", b"&".join([b"k=v"] * 40)])
def test_a_form_body_that_is_malformed_is_205(body: bytes) -> None:
    with pytest.raises(HisParameterProblem):
        parse_form_body(body, Shape.V2019)


def test_dates_are_dd_mm_yyyy() -> None:
    assert format_day(date(2026, 1, 2)) == "02/01/2026" and format_day(None) == ""
    assert registered_facility_code("40-C54") == "40C54" and registered_facility_code("40-001") == "40001"


# ---- the use case on fakes -----------------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.log = FakeEventLog()
        self.read_model = FakeReadModel()
        self.read_model.put(AN)
        self.accounts = FakeAccounts(now=NOW)
        self.password = self.accounts.add("40001_BV", "secret", role=Role.HIS, facility_id=FACILITY)
        self.accounts.add("monitor", "secret", role=Role.MONITORING)
        self.accounts.put_staff(FACILITY, STAFF_CCCD, "Trần Thị Lan", "ST-0001")
        self.gateway = HisGateway(
            accounts=self.accounts,
            read_model=self.read_model,
            event_log=self.log,
            facilities=FACILITIES,
            clock=lambda: NOW,
        )

    async def token(self, username: str = "40001_BV") -> str:
        return (await self.gateway.take_token(username, self.password, address="10.0.0.1")).access_token

    async def look_up(self, body: dict[str, Any], shape: Shape = Shape.V2024) -> Any:
        account = await self.gateway.authenticate(await self.token())
        return await self.gateway.look_up(HisLookup(account, parse_fields(body, shape), shape))

    def check_ins(self) -> list[CheckInVerified]:
        return [f for f in self.log.appended if isinstance(f, CheckInVerified)]


@pytest.fixture
def world() -> World:
    return World()


async def test_a_2024_lookup_is_a_recorded_check_in_naming_the_staff_by_registry_id(world: World) -> None:
    found = await world.look_up(BODY_2024)
    assert found.check_in.decision.result_code == "000"
    (event,) = world.check_ins()
    assert event.credential is Credential.HIS_LOOKUP and event.presented_number == "GD4404016354956"
    assert event.station.facility_id == FACILITY and event.station.kiosk_id == "his:40001_BV"
    assert event.station.staff_id == "ST-0001"  # never the CCCD
    assert STAFF_CCCD not in repr(event)


async def test_a_2019_lookup_names_the_account(world: World) -> None:
    await world.look_up({k: BODY_2024[k] for k in ("maThe", "hoTen", "ngaySinh")}, Shape.V2019)
    assert world.check_ins()[0].station.staff_id == "40001_BV"


async def test_an_unregistered_staff_cccd_is_054_and_a_wrong_name_055_nothing_recorded(world: World) -> None:
    with pytest.raises(StaffNotRegistered):
        await world.look_up({**BODY_2024, "cccdCb": "040185000999"})
    with pytest.raises(StaffNameMismatch):
        await world.look_up({**BODY_2024, "hoTenCb": "Trần Thị Lành"})
    assert world.check_ins() == []
    await world.look_up({**BODY_2024, "hoTenCb": "tran thi lan"})  # typed without diacritics: the same


async def test_staff_of_another_facility_is_054(world: World) -> None:
    world.accounts.put_staff("79-001", "079185000222", "Lê Văn Bình", "ST-0002")
    with pytest.raises(StaffNotRegistered):
        await world.look_up({**BODY_2024, "cccdCb": "079185000222", "hoTenCb": "Lê Văn Bình"})


async def test_tokens_are_checked(world: World) -> None:
    for token, username in (("", ""), ("forged", ""), (await world.token(), "someone-else")):
        with pytest.raises(Unauthenticated):
            await world.gateway.authenticate(token, username=username)
    with pytest.raises(Unauthenticated, match="not a HIS account"):
        await world.gateway.authenticate(await world.token("monitor"))


async def test_the_event_log_down_is_an_error_not_an_answer(world: World) -> None:
    world.log.down = True
    with pytest.raises(EventLogUnavailable):
        await world.look_up(BODY_2024)


async def test_the_history_comes_from_the_usage_projection(world: World) -> None:
    entry = UsageEntry("c1", "40-001", "his:40001_BV", "000", datetime(2026, 4, 30, 2, 5, tzinfo=UTC))
    kiosk = UsageEntry("c2", "79-001", "kiosk-9", "070", datetime(2026, 4, 29, 1, 0, tzinfo=UTC))
    world.read_model.record_check_in(AN.social_insurance_number, kiosk, accepted=False)
    world.read_model.record_check_in(AN.social_insurance_number, entry, accepted=True)
    answer = card_answer(await world.look_up(BODY_2024))
    assert answer["dsLichSuKT2018"] == [
        {
            "userKT": "40001_BV",
            "thoiGianKT": "202604300905",
            "thongBao": "Thông tin thẻ chính xác",
            "maLoi": "000",
        },
        {
            "userKT": "79-001/kiosk-9",
            "thoiGianKT": "202604290800",
            "thongBao": "Thẻ sai ngày sinh",
            "maLoi": "070",
        },
    ]


# ---- the answer, field by field ------------------------------------------------------------------


async def test_a_valid_card_answers_every_field(world: World) -> None:
    answer = card_answer(await world.look_up(BODY_2024))
    assert answer == {
        "maKetQua": "000",
        "ghiChu": "Thông tin thẻ chính xác",
        "maThe": "GD4404016354956",
        "hoTen": "Nguyễn Văn An",
        "ngaySinh": "01/05/1990",
        "gioiTinh": "Nam",
        "diaChi": "",
        "maDKBD": "40C54",
        "cqBHXH": "",
        "gtTheTu": "01/01/2026",
        "gtTheDen": "31/12/2026",
        "maKV": "",
        "ngayDu5Nam": "",
        "maSoBHXH": "4016354956",
        "maTheCu": "",
        "maTheMoi": "",
        "gtTheTuMoi": "",
        "gtTheDenMoi": "",
        "dsLichSuKCB2018": None,
        "dsLichSuKT2018": [],
    }


async def test_a_wrong_name_names_the_name_on_record(world: World) -> None:
    answer = card_answer(await world.look_up({**BODY_2024, "hoTen": "Nguyễn Văn Ba"}))
    assert answer["maKetQua"] == "061"
    assert answer["ghiChu"] == "Thẻ sai họ tên (đúng ký tự đầu). Họ tên đúng là: Nguyễn Văn An"
    answer = card_answer(await world.look_up({**BODY_2024, "hoTen": "Trần Văn An"}))
    assert answer["maKetQua"] == "060" and answer["ghiChu"].endswith("Họ tên đúng là: Nguyễn Văn An")


async def test_a_year_only_claim_and_a_wrong_birth_date(world: World) -> None:
    assert card_answer(await world.look_up({**BODY_2024, "ngaySinh": "1990"}))["maKetQua"] == "000"
    assert card_answer(await world.look_up({**BODY_2024, "ngaySinh": "1991"}))["maKetQua"] == "070"


async def test_a_name_typed_without_diacritics_is_000_not_our_k03(world: World) -> None:
    answer = card_answer(await world.look_up({**BODY_2024, "hoTen": "NGUYEN VAN AN"}))
    assert answer["maKetQua"] == "000"


async def test_an_unknown_card_shows_nothing_but_the_number(world: World) -> None:
    answer = card_answer(await world.look_up({**BODY_2024, "maThe": "GD4404099999999"}))
    assert answer["maKetQua"] == "050" and answer["maThe"] == "GD4404099999999"
    assert all(answer[f] == "" for f in CARD_FIELDS if f != "maThe") and answer["dsLichSuKT2018"] == []
    wrong_prefix = card_answer(await world.look_up({**BODY_2024, "maThe": "HS4404016354956"}))
    assert wrong_prefix["maKetQua"] == "051" and wrong_prefix["hoTen"] == ""


async def test_an_old_card_answers_003_with_the_new_one(world: World) -> None:
    old = CardValidity("GD4404016354956", date(2025, 1, 1), date(2025, 12, 31))
    world.read_model.put(replace(AN, card_number="GD4794016354956", previous_cards=(old,)))
    answer = card_answer(await world.look_up(BODY_2024))
    assert (answer["maKetQua"], answer["maThe"], answer["maTheCu"], answer["maTheMoi"]) == (
        "003",
        "GD4404016354956",
        "GD4404016354956",
        "GD4794016354956",
    )
    assert (answer["gtTheTu"], answer["gtTheDen"]) == ("01/01/2025", "31/12/2025")
    assert (answer["gtTheTuMoi"], answer["gtTheDenMoi"]) == ("01/01/2026", "31/12/2026")


# ---- the HTTP application ------------------------------------------------------------------------


def validator(schema_name: str) -> Draft202012Validator:
    return schema_validator(openapi_document(), schema_name)


@pytest.fixture
async def http(world: World) -> AsyncIterator[TestClient[Any, Any]]:
    client = TestClient(TestServer(create_app(world.gateway)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_http_token_then_lookup_valid_against_openapi(http: TestClient[Any, Any], world: World) -> None:
    taken = await (
        await http.post("/api/token/take", json={"username": "40001_BV", "password": world.password})
    ).json()
    validator("TokenAnswer").validate(taken)
    assert taken["maKetQua"] == "200" and taken["APIKey"]["token_type"] == "Bearer"
    assert taken["APIKey"]["expires_in"] == "2026-05-01T03:30:00Z"
    key = taken["APIKey"]
    params = {
        "token": key["access_token"],
        "id_token": key["id_token"],
        "username": "40001_BV",
        "password": "x",
    }
    answer = await (await http.post("/api/egw/KQNhanLichSuKCB2024", params=params, json=BODY_2024)).json()
    validator("CardAnswer").validate(answer)
    assert answer["maKetQua"] == "000"
    form = {k: BODY_2024[k] for k in ("maThe", "hoTen", "ngaySinh")}
    answer = await (await http.post("/api/egw/KQNhanLichSuKCB2019", params=params, data=form)).json()
    validator("CardAnswer").validate(answer)
    assert answer["maKetQua"] == "000"
    for body, code in (
        ({**BODY_2024, "ngaySinh": "x"}, "205"),
        ({**BODY_2024, "cccdCb": "040185000999"}, "054"),
    ):
        response = await http.post("/api/egw/KQNhanLichSuKCB2024", params=params, json=body)
        answer = await response.json()
        validator("CardAnswer").validate(answer)
        assert (response.status, answer["maKetQua"]) == (200, code)
    empty = await (await http.post("/api/egw/KQNhanLichSuKCB2024", params=params, json={})).json()
    assert empty["maKetQua"] == "205" and "maThe" in empty["ghiChu"]


async def test_http_errors_are_json_in_the_contracts_way(http: TestClient[Any, Any], world: World) -> None:
    params = {"token": await world.token()}  # taken before the account is locked below
    wrong = await (
        await http.post("/api/token/take", json={"username": "40001_BV", "password": "0" * 32})
    ).json()
    assert wrong == {"maKetQua": "401"}
    world.accounts.locked.add("40001_BV")
    locked = await (await http.post("/api/token/take", data={"username": "40001_BV", "password": "x"})).json()
    assert locked["maKetQua"] == "401" and "khóa" in locked["ghiChu"]
    no_token = await (await http.post("/api/egw/KQNhanLichSuKCB2024", data=b"not json")).json()
    validator("CardAnswer").validate(no_token)
    assert no_token["maKetQua"] == "401"  # the token first: nothing else is read without one
    for method, path, status in (("GET", "/nowhere", 404), ("GET", "/api/egw/KQNhanLichSuKCB2024", 405)):
        response = await http.request(method, path)
        assert response.status == status and response.content_type == "application/json"
        validator("Problem").validate(await response.json())
    big = await http.post("/api/egw/KQNhanLichSuKCB2019", params=params, data=b"a" * 20_000)
    assert big.status == 413 and (await big.json())["maKetQua"] == "205"


async def test_http_event_log_down_is_500(http: TestClient[Any, Any], world: World) -> None:
    params = {"token": await world.token()}
    world.log.down = True
    answer = await (await http.post("/api/egw/KQNhanLichSuKCB2024", params=params, json=BODY_2024)).json()
    validator("CardAnswer").validate(answer)
    assert answer["maKetQua"] == "500" and answer["ghiChu"] == "Lỗi máy chủ"


async def test_http_accounts_unreachable_is_500_never_401(http: TestClient[Any, Any], world: World) -> None:
    """A login or token that cannot be checked is a server error: a HIS told 401 would log in again."""
    params = {"token": await world.token()}
    world.accounts.down = True
    login = {"username": "40001_BV", "password": world.password}
    taken = await (await http.post("/api/token/take", json=login)).json()
    validator("TokenAnswer").validate(taken)
    assert taken == {"maKetQua": "500", "ghiChu": "Lỗi máy chủ"}
    answer = await (await http.post("/api/egw/KQNhanLichSuKCB2024", params=params, json=BODY_2024)).json()
    validator("CardAnswer").validate(answer)
    assert answer["maKetQua"] == "500"


async def test_http_serves_its_openapi_document(http: TestClient[Any, Any]) -> None:
    document = await (await http.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.") and "/api/egw/KQNhanLichSuKCB2024" in document["paths"]
    Draft202012Validator.check_schema(document["components"]["schemas"]["CardAnswer"])


def test_kiosk_ids_stay_within_what_a_kiosk_id_may_hold() -> None:
    assert his_kiosk_id("40001_BV") == "his:40001_BV"
    assert his_kiosk_id("bv đa khoa/1") == "his:bv__a_khoa_1"


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


def test_digits_of_other_scripts_are_not_numbers() -> None:
    """Python's \\d matches any script's digits: a CCCD of Arabic-Indic digits is no CCCD."""
    with pytest.raises(HisParameterProblem, match="maThe"):
        parse_fields({**BODY_2024, "maThe": "\u0660" * 12}, Shape.V2019)
    with pytest.raises(HisParameterProblem, match="cccdCb"):
        parse_fields({**BODY_2024, "cccdCb": "\u0661" * 12}, Shape.V2024)
    with pytest.raises(HisParameterProblem, match="ngaySinh"):
        parse_fields({**BODY_2024, "ngaySinh": "\u0661\u0669\u0669\u0660"}, Shape.V2019)
