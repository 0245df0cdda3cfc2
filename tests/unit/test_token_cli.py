"""`python -m verifier token verify`: the offline operator check, including EU DCC (HC1:) tokens."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support.tokens import CARD, key_files, signing_key
from verifier.cli import main
from verifier.tokens.card_token import EXP, IAT, ISS, issue_card_token
from verifier.tokens.cose import sign1
from verifier.tokens.framing import wrap

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    with pytest.raises(SystemExit) as done:
        main(["token", "verify", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return int(done.value.code or 0), json.loads(out) if out.strip() else {}, err


def our_token(at: datetime = NOW) -> str:
    key = signing_key()
    return issue_card_token(CARD, key, issuer="VN-BHXH", issued_at=at, lifetime=timedelta(minutes=5)).text


def cert_path() -> Path:
    return key_files()[1]


def test_a_valid_token_prints_every_field_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = run(
        capsys, our_token(), "--trust-cert", str(cert_path()), "--at", "2026-06-01T00:01:00Z", "--json"
    )

    assert code == 0
    assert result["signature_valid"] is True and result["expired"] is False and result["errors"] == []
    assert result["alg"] == "ES256" and result["kid"] == signing_key().kid.hex()
    assert result["claims"]["bhyt_card"]["no"] == CARD.card_number


@pytest.mark.parametrize("encoding", ["der", "base64"])
def test_certificates_may_be_der_or_base64_der(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, encoding: str
) -> None:
    der = x509.load_pem_x509_certificate(cert_path().read_bytes()).public_bytes(serialization.Encoding.DER)
    path = tmp_path / f"signer.{encoding}"
    path.write_bytes(der if encoding == "der" else base64.b64encode(der))

    code, result, _ = run(capsys, our_token(), "--trust-cert", str(path), "--at", NOW.isoformat(), "--json")

    assert code == 0 and result["signature_valid"] is True


def test_an_eu_dcc_token_checks_with_the_hc1_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    key = signing_key()
    hcert = {1: {"ver": "1.3.0", "nam": {"fn": "Mustermann", "gn": "Erika"}, "dob": "1964-08-12"}}
    expires = NOW + timedelta(days=365)
    claims = {ISS: "DE", IAT: int(NOW.timestamp()), EXP: int(expires.timestamp()), -260: hcert}
    token = wrap(sign1(cbor2.dumps(claims), key.private_key, key.kid).to_bytes(), "HC1:")

    code, result, _ = run(capsys, token, "--trust-cert", str(cert_path()), "--at", NOW.isoformat(), "--json")

    assert code == 0
    assert result["claims"]["hcert"]["1"]["nam"]["fn"] == "Mustermann"


def test_an_expired_token_exits_one_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = run(
        capsys, our_token(), "--trust-cert", str(cert_path()), "--at", "2026-06-02T00:00:00", "--json"
    )

    assert code == 1
    assert result["expired"] is True and result["signature_valid"] is True
    assert result["errors"] == ["T04"]


def test_without_the_signer_certificate_the_key_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = run(capsys, our_token(), "--at", NOW.isoformat(), "--json")
    assert code == 1 and result["errors"] == ["T03"] and result["signature_valid"] is False


def test_garbage_is_a_report_not_a_crash(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = run(capsys, "hello|world", "--json")
    assert code == 1 and result["errors"] == ["T08"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trust-cert", "/nonexistent/cert.pem"], "/nonexistent/cert.pem"),
        (["--at", "yesterday"], "--at"),
    ],
)
def test_unusable_input_exits_two_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, our_token(), *args, "--json")
    assert code == 2
    assert err.startswith("error:") and message in err


def test_a_certificate_file_that_is_not_one_exits_two(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    code, _, err = run(capsys, our_token(), "--trust-cert", str(bad))
    assert code == 2 and "not a certificate" in err
