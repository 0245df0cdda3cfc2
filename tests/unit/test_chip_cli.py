"""`chip verify`: the offline operator command, driven through `add_chip_parser` as verifier.cli will."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.chip_fixtures import (
    SignOptions,
    build_master_list,
    dg1,
    ec_key,
    make_chip,
    make_crl,
    make_csca,
    make_master_list_signer,
    pem,
    td1_lines,
)
from verifier.chip.cli import add_chip_parser

AT = "2026-05-01T10:00:00+07:00"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m verifier")
    add_chip_parser(parser.add_subparsers(required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def write_chip(tmp_path: Path, **kwargs: Any) -> list[str]:
    chip = make_chip(**kwargs)
    (tmp_path / "EF.SOD").write_bytes(chip.sod + b"\xff" * 8)  # readers may append block padding
    argv = ["chip", "verify", "--sod", str(tmp_path / "EF.SOD"), "--at", AT]
    for number, data in chip.data_groups.items():
        path = tmp_path / f"EF.DG{number}"
        path.write_bytes(data)
        argv += ["--dg", f"{number}={path}"]
    (tmp_path / "csca.pem").write_bytes(pem(chip.csca.cert))
    return argv


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = run([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_valid_chip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = write_chip(tmp_path)
    code, report = run_json([*argv, "--csca", str(tmp_path / "csca.pem")], capsys)
    assert code == 0
    assert report["valid"] is True and report["errors"] == []
    assert report["sod_signature_valid"] is True and report["chain_trusted"] is True
    assert report["dg_hashes"] == {"1": True, "2": True, "13": True}
    assert report["ds_certificate"]["subject"].startswith("CN=Document Signer")
    assert {"subject", "not_before", "not_after"} <= set(report["ds_certificate"])
    names = [c["name"] for c in report["checks"]]
    assert {
        "sod_signature",
        "ds_chain",
        "ds_revocation",
        "dg1_hash",
        "mrz_check_digits",
        "cccd_number",
    } <= set(names)
    assert all(c["clause"] for c in report["checks"])
    identity = report["identity"]
    assert identity["cccd_number"] == "001093012345"
    assert identity["personal_data"]["full_name"] == "Nguyễn Văn An"
    assert identity["mrz"]["name"] == "NGUYEN VAN AN"
    assert identity["face_image"]["format"] == "jpeg"
    text = json.dumps(report, ensure_ascii=False)
    assert "Kinh" not in text and "ethnic" not in text and "religion" not in text
    assert report["verified_at"] == "2026-05-01T10:00:00+07:00"


def test_failed_verification_still_prints_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = write_chip(tmp_path)
    (tmp_path / "EF.DG1").write_bytes(dg1(td1_lines().replace("AN<", "AM<")))
    code, report = run_json(argv, capsys)  # no CSCA either
    assert code == 1
    assert report["valid"] is False
    assert report["errors"] == ["C04", "C07", "C13"]  # the altered MRZ name also disagrees with DG13
    assert report["chain_trusted"] is False and report["sod_signature_valid"] is True
    assert report["dg_hashes"]["1"] is False
    assert report["error_texts"]["C07"].startswith("data group hash")


def test_master_list_and_crl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = write_chip(tmp_path)
    chip = make_chip()
    de = make_csca("csca-de", key=ec_key("csca-de", "brainpoolP256r1"), common_name="CSCA Germany")
    ml = build_master_list(
        [de.cert, chip.csca.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa")
    )
    (tmp_path / "de.ml").write_bytes(ml)
    (tmp_path / "vn.crl").write_bytes(make_crl(chip.csca, [chip.ds.cert.serial_number]))
    code, report = run_json(
        [*argv, "--master-list", str(tmp_path / "de.ml"), "--crl", str(tmp_path / "vn.crl")], capsys
    )
    assert code == 1 and report["errors"] == ["C06"]
    assert report["trust_problems"] == []


def test_untrusted_master_list_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = write_chip(tmp_path)
    rogue = make_csca("csca-rogue", key=ec_key("csca-rogue"), common_name="Rogue CSCA")
    ml = build_master_list(
        [make_chip().csca.cert], make_master_list_signer(rogue, "mls-rogue"), SignOptions(scheme="ecdsa")
    )
    (tmp_path / "rogue.ml").write_bytes(ml)
    code, report = run_json([*argv, "--master-list", str(tmp_path / "rogue.ml")], capsys)
    assert code == 1 and "C04" in report["errors"]
    assert report["trust_problems"][0]["code"] == "C20"


def test_sod_only_with_no_required_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = write_chip(tmp_path)
    sod_only = argv[:6]
    code, report = run_json([*sod_only, "--csca", str(tmp_path / "csca.pem"), "--require-dg", "none"], capsys)
    assert code == 0 and report["dg_hashes"] == {}
    code, report = run_json([*sod_only, "--csca", str(tmp_path / "csca.pem"), "--require-dg", "1,13"], capsys)
    assert code == 1 and report["errors"] == ["C08"]


def test_malformed_sod_is_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = write_chip(tmp_path)
    (tmp_path / "EF.SOD").write_bytes(b"\x77\x03\x30\x01")
    code, report = run_json(argv, capsys)
    assert code == 1 and report["errors"][0] == "C01"


def test_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = write_chip(tmp_path)
    assert run([*argv, "--csca", str(tmp_path / "csca.pem")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID at 2026-05-01")
    assert "PASS sod_signature" in out and "holder: Nguyễn Văn An, CCCD 001093012345" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--csca", "missing.pem"], "missing.pem"),
        (["--dg", "17=x"], "1 to 16"),
        (["--dg", "one=x"], "N=FILE"),
        (["--at", "yesterday"], "ISO 8601"),
        (["--at", "yesterday"], "ISO 8601"),
        (["--aa-challenge", "00"], "go together"),
        (["--require-dg", "1,x"], "--require-dg"),
    ],
)
def test_unusable_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = write_chip(tmp_path)
    code = run([*argv, *extra, "--json"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("error: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_malformed_csca_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = write_chip(tmp_path)
    (tmp_path / "bad.pem").write_bytes(b"not a certificate")
    assert run([*argv, "--csca", str(tmp_path / "bad.pem")]) == 2
    assert "bad.pem" in capsys.readouterr().err


def test_missing_sod_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["chip", "verify", "--sod", str(tmp_path / "nope"), "--json"]) == 2
    assert capsys.readouterr().err.startswith("error: --sod")


def test_active_authentication_from_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.chip_fixtures import aa_sign_ec

    chip = make_chip(aa="ec")
    argv = write_chip(tmp_path, aa="ec")
    assert chip.aa_key is not None
    challenge = bytes.fromhex("1122334455667788")
    (tmp_path / "aa.sig").write_bytes(aa_sign_ec(chip.aa_key, challenge))  # type: ignore[arg-type]
    code, report = run_json(
        [
            *argv,
            "--csca",
            str(tmp_path / "csca.pem"),
            "--aa-challenge",
            challenge.hex(),
            "--aa-signature",
            str(tmp_path / "aa.sig"),
        ],
        capsys,
    )
    assert code == 0, report["errors"]
    assert report["active_authentication"]["status"] == "pass"
    assert report["dg_hashes"] == {"1": True, "2": True, "13": True, "14": True, "15": True}
