"""The HIS gateway end to end, driven the way a hospital information system drives VSS's gateway:
curl (an independent HTTP client, not our code) over HTTPS with the local CA, against the verifier
and a Faust worker as their own processes. The account and the staff member are made through the
admin CLI (`python -m verifier account add`, `staff add`), as an operator would.

Request shapes from public HIS code: JSON 2024 with the staff fields, the 2019 body form-encoded, a
year-only birth date, a CCCD number as maThe. Every answer is checked field by field and against
the gateway's live OpenAPI document; then the lookups are found on the log (credential HIS lookup,
the staff member by registry id) and in usage (and so in the next answer's dsLichSuKT2018).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from bhyt.v1 import events_pb2 as ev

from infra.local.pki import LocalCa, ensure_local_pki
from infra.local.procs import free_port, wait_until
from infra.stack import local_tls
from tests.support.client import Client
from tests.support.his_contract import schema_validator
from tests.support.kafka_state import all_records, group_caught_up
from tests.support.processes import admin_command
from tests.support.stack import Stack, StackFactory
from verifier.client_channel import ClientTls

CARD = "GD4404016354956"
PERSONAL_ID = "040090001234"
USERNAME = "40001_BV"  # as HIS configurations write it; the account is kept in lower case
ACCOUNT = USERNAME.lower()
PASSWORD = "bv-40001-kiem-tra"
PASSWORD_MD5 = hashlib.md5(PASSWORD.encode()).hexdigest()  # what HIS systems send as the password
STAFF_CCCD = "040185000111"
STAFF_NAME = "Trần Thị Lan"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LocalCa:
    return ensure_local_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def stack(stacks: StackFactory, pki: LocalCa) -> Iterator[Stack]:
    settings = stacks.settings(
        "his", insecure_plaintext=0, his_listen=f"127.0.0.1:{free_port()}", **local_tls(pki.dir)
    )
    admin = ClientTls.from_pki(pki.dir, "admin-local")
    with Stack.running(settings, stacks.log_dir(), worker=True, client_tls=admin) as running:
        yield running


class Gateway:
    """curl against the stack's gateway: HTTPS, verified with the local CA only."""

    def __init__(self, stack: Stack, pki: LocalCa) -> None:
        self.base = f"https://{stack.settings.his_listen}"
        self.ca = pki.dir / "ca.pem"
        self.document = self.get("/api/openapi.json")

    def curl(self, path: str, *args: str) -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            ["curl", "-sS", "--cacert", str(self.ca), "-w", "\n%{http_code}", *args, self.base + path],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        body, _, status = done.stdout.rpartition("\n")
        return int(status), json.loads(body)

    def get(self, path: str) -> dict[str, Any]:
        status, body = self.curl(path)
        assert status == 200
        return body

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = self.curl(
            path, "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", json.dumps(body)
        )
        assert status == 200, answer
        return answer

    def post_form(self, path: str, fields: dict[str, str]) -> dict[str, Any]:
        args = [arg for name, value in fields.items() for arg in ("--data-urlencode", f"{name}={value}")]
        status, answer = self.curl(path, *args)  # curl posts application/x-www-form-urlencoded
        assert status == 200, answer
        return answer

    def valid(self, schema: str, answer: dict[str, Any]) -> dict[str, Any]:
        schema_validator(self.document, schema).validate(answer)
        return answer

    def token(self) -> dict[str, Any]:
        taken = self.post_json("/api/token/take", {"username": USERNAME, "password": PASSWORD_MD5})
        return self.valid("TokenAnswer", taken)

    def lookup(self, version: str, key: dict[str, Any], body: dict[str, str], *, form: bool = False) -> Any:
        query = f"?token={key['access_token']}&id_token={key['id_token']}&username={USERNAME}"
        query += f"&password={PASSWORD_MD5}"
        path = f"/api/egw/KQNhanLichSuKCB{version}{query}"
        answer = self.post_form(path, body) if form else self.post_json(path, body)
        return self.valid("CardAnswer", answer)


def admin_cli(stack: Stack, pki: LocalCa, *args: str, stdin: str = "") -> dict[str, Any]:
    """The operator's command, as its own process, with the admin certificate."""
    done = admin_command(stack.settings.grpc_listen, pki.dir, *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_his_checks_cards_through_the_vss_contract(stack: Stack, pki: LocalCa) -> None:
    stack.client.enroll(CARD, personal_id=PERSONAL_ID, valid_from="2020-01-01", valid_to="2099-12-31")
    app = Client(stack.settings.grpc_listen, ClientTls.from_pki(pki.dir, "app-local"))  # reads usage
    account = ("account", "add", USERNAME, "--role", "his", "--facility", "40-001", "--password-stdin")
    admin_cli(stack, pki, *account, stdin=PASSWORD + "\n")
    staff = admin_cli(
        stack, pki, "staff", "add", "--facility", "40-001", "--personal-id", STAFF_CCCD, "--name", STAFF_NAME
    )
    registry_id = staff["registry_id"]  # what the check-in event names, never the CCCD
    wait_until(lambda: group_caught_up(stack.settings), timeout=60, what="account and staff projected")
    gateway = Gateway(stack, pki)

    # The token, in the contract's shape; a wrong password is a bare 401.
    key = gateway.token()["APIKey"]
    assert key["token_type"] == "Bearer" and key["username"] == ACCOUNT
    wrong = gateway.post_json("/api/token/take", {"username": USERNAME, "password": "0" * 32})
    assert gateway.valid("TokenAnswer", wrong) == {"maKetQua": "401"}

    # 2024, JSON, with the staff fields: every field of the answer.
    body = {"maThe": CARD, "hoTen": "Nguyễn Văn An", "ngaySinh": "01/05/1990"}
    answer = gateway.lookup("2024", key, {**body, "hoTenCb": STAFF_NAME, "cccdCb": STAFF_CCCD})
    assert answer == {
        "maKetQua": "000",
        "ghiChu": "Thông tin thẻ chính xác",
        "maThe": CARD,
        "hoTen": "Nguyễn Văn An",
        "ngaySinh": "01/05/1990",
        "gioiTinh": "Nam",
        "diaChi": "",
        "maDKBD": "40C54",
        "cqBHXH": "",
        "gtTheTu": "01/01/2020",
        "gtTheDen": "31/12/2099",
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

    # 2019, form-encoded, a CCCD number as maThe and only the year of birth.
    older = gateway.lookup(
        "2019", key, {"maThe": PERSONAL_ID, "hoTen": "Nguyễn Văn An", "ngaySinh": "1990"}, form=True
    )
    assert (older["maKetQua"], older["maThe"], older["maSoBHXH"]) == ("000", CARD, "4016354956")
    wrong_name = gateway.lookup("2019", key, {**body, "hoTen": "Nguyễn Văn Ba"}, form=True)
    assert (wrong_name["maKetQua"], wrong_name["ghiChu"]) == (
        "061",
        "Thẻ sai họ tên (đúng ký tự đầu). Họ tên đúng là: Nguyễn Văn An",
    )

    # The contract's refusals: nothing judged, nothing recorded.
    staff_fields = {"hoTenCb": STAFF_NAME, "cccdCb": STAFF_CCCD}
    refusals = {
        "054": gateway.lookup("2024", key, {**body, "hoTenCb": STAFF_NAME, "cccdCb": "040185000999"}),
        "055": gateway.lookup("2024", key, {**body, "hoTenCb": "Trần Thị Lành", "cccdCb": STAFF_CCCD}),
        "401": gateway.lookup("2024", {**key, "access_token": "forged"}, {**body, **staff_fields}),
        "205": gateway.lookup("2024", key, {**body, **staff_fields, "ngaySinh": "1990-05-01"}),
    }
    for code, refused in refusals.items():
        assert refused["maKetQua"] == code and refused["hoTen"] == "" and refused["dsLichSuKT2018"] is None
    assert "ngaySinh" in refusals["205"]["ghiChu"]

    # On the log: three check-ins with the HIS-lookup credential, the staff member by registry id.
    def his_check_ins() -> list[ev.CheckInVerified]:
        envelopes = map(
            ev.EventEnvelope.FromString, all_records(stack.settings, stack.settings.topic_checkins)
        )
        found = [e.check_in_verified for e in envelopes if e.WhichOneof("payload") == "check_in_verified"]
        return [c for c in found if c.credential == ev.CREDENTIAL_KIND_HIS_LOOKUP]

    recorded = his_check_ins()
    assert [(c.presented_number, c.result_code) for c in recorded] == [
        (CARD, "000"),
        ("", "000"),  # a CCCD number that found its participant is not kept on the log
        (CARD, "061"),
    ]
    assert {(c.facility_id, c.kiosk_id) for c in recorded} == {("40-001", f"his:{ACCOUNT}")}
    assert recorded[0].staff_id == registry_id and STAFF_CCCD not in str(recorded)
    assert [c.staff_id for c in recorded[1:]] == [ACCOUNT, ACCOUNT]  # 2019 names no staff member

    # In usage, and so in the next answer's check history (newest first, VSS's yyyyMMddHHmm).
    wait_until(lambda: app.status(CARD).usage.check_ins_total == 3, timeout=30, what="usage")
    app.close()
    later = gateway.lookup("2024", key, {**body, **staff_fields})
    history = later["dsLichSuKT2018"]
    assert [(h["userKT"], h["maLoi"]) for h in history] == [
        (ACCOUNT, "061"),
        (ACCOUNT, "000"),
        (ACCOUNT, "000"),
    ]
    assert history[0]["thongBao"] == "Thẻ sai họ tên (đúng ký tự đầu)" and len(history[0]["thoiGianKT"]) == 12


def test_errors_are_json_never_html_and_plain_http_is_refused(stack: Stack, pki: LocalCa) -> None:
    gateway = Gateway(stack, pki)
    status, answer = gateway.curl("/nowhere")
    assert status == 404 and answer["maKetQua"] == "404"
    status, answer = gateway.curl("/api/egw/KQNhanLichSuKCB2024")
    assert status == 405 and answer["maKetQua"] == "405"
    plain = subprocess.run(
        ["curl", "-sS", f"http://{stack.settings.his_listen}/api/openapi.json"],
        capture_output=True,
        timeout=30,
    )
    assert plain.returncode != 0 or not plain.stdout.startswith(b"{")  # HTTPS only
