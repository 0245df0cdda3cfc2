"""Targets for the chip's verdicts: active authentication and `verify_chip`, the check-in's gate."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import serialization
from hypothesis import strategies as st

from bench.fuzz.chip import AA_CHALLENGE, chip_world
from bench.fuzz.der import broken
from bench.fuzz.harness import ACCEPTED, Target, Unexpected, known
from bench.fuzz.mutations import RANDOMS, mutate_bytes
from tests.support.chip_fixtures import NOW as CHIP_NOW
from verifier.chip import ActiveAuthInput, verify_chip
from verifier.chip.active import parse_dg15, verify_active_authentication
from verifier.chip.codes import CHIP_REASONS
from verifier.chip.sod import parse_sod


@st.composite
def aa_inputs(draw: st.DrawFn) -> dict[str, Any]:
    world = chip_world()
    rng, pool = draw(RANDOMS), world.pool()
    index = rng.choice([i for i, s in enumerate(world.aa_signatures) if s is not None])
    chip = world.chips[index]
    read: dict[str, Any] = {
        "dg15": chip.data_groups[15],
        "dg14": chip.data_groups.get(14),
        "signature": world.aa_signatures[index],
    }
    for name in rng.sample(["dg15", "dg14", "signature"], rng.randint(1, 3)):
        value = read[name] or b"\x6e\x00"
        if name == "signature":
            read[name] = (
                mutate_bytes(rng, value, pool) if rng.random() < 0.8 else rng.randbytes(rng.randrange(140))
            )
        else:
            read[name] = broken(rng, value, pool) if rng.random() < 0.9 else None
    if read["dg15"] is None:
        read["dg15"] = b""
    return read


def run_active_auth(read: Mapping[str, Any]) -> str:
    """ICAO 9303-11 §6.1: only the chip's own key over our challenge passes."""
    world = chip_world()
    check = verify_active_authentication(read["dg15"], AA_CHALLENGE, read["signature"], read["dg14"])
    if not check.passed:
        if not check.code:
            raise Unexpected("no code: a failed active authentication carries no code")
        return known(check.code, CHIP_REASONS)
    genuine = [
        (c.data_groups[15], s) for c, s in zip(world.chips, world.aa_signatures, strict=True) if s is not None
    ]
    key = parse_dg15(read["dg15"]).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = {
        parse_dg15(d).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ): s
        for d, s in genuine
    }
    if keys.get(key) != read["signature"]:
        raise Unexpected("forgery: active authentication passes with a changed key or signature")
    return ACCEPTED


@st.composite
def chip_reads(draw: st.DrawFn) -> dict[str, Any]:
    """A genuine chip read with its SOD, data groups or AA signature broken, dropped, swapped or added."""
    world = chip_world()
    rng, pool = draw(RANDOMS), world.pool()
    index = rng.randrange(len(world.chips))
    chip = world.chips[index]
    sod, groups, signature = chip.sod, dict(chip.data_groups), world.aa_signatures[index]
    for _ in range(rng.randint(1, 3)):
        op = rng.choice(("sod", "dg", "dg", "drop", "add", "swap", "signature", "other-sod", "pad"))
        numbers = sorted(groups)
        if op == "sod":
            sod = broken(rng, sod, pool)
        elif op == "dg" and numbers:
            number = rng.choice(numbers)
            groups[number] = broken(rng, groups[number], pool)
        elif op == "drop" and numbers:
            del groups[rng.choice(numbers)]
        elif op == "add":
            groups[rng.randint(-2, 40)] = rng.choice(pool) if rng.random() < 0.5 else rng.randbytes(64)
        elif op == "swap" and len(numbers) > 1:
            a, b = rng.sample(numbers, 2)
            groups[a], groups[b] = groups[b], groups[a]
        elif op == "signature":
            choice = rng.randrange(3)
            if choice == 0:
                signature = None
            else:
                signature = (
                    mutate_bytes(rng, signature or b"\x00", pool) if choice == 1 else rng.randbytes(140)
                )
        elif op == "other-sod":
            sod = rng.choice([c.sod for c in world.chips])
        elif op == "pad" and numbers:
            groups[rng.choice(numbers)] += rng.choice((b"\x00", b"\xff" * 8, b"\x00\x01"))
    return {"sod": sod, "groups": groups, "signature": signature}


def run_chip(read: Mapping[str, Any]) -> str:
    """`verify_chip`, as the chip check-in calls it; a read is linked to a person only when it has no
    error code, so such a read must be the genuine bytes: the SOD's signed parts and every group."""
    world = chip_world()
    signature = read["signature"]
    active = ActiveAuthInput(AA_CHALLENGE, signature) if signature is not None else None
    report = verify_chip(read["sod"], read["groups"], world.anchors, CHIP_NOW, active_auth=active)
    for code in report.errors:
        known(code, CHIP_REASONS)
    json.dumps(report.to_dict())
    if report.errors and not report.passive.valid:
        return report.errors[0]
    security = parse_sod(read["sod"])
    index = world.signed.get((security.signed.content, security.signed.signer.signed_attrs))
    if index is None:
        raise Unexpected("forgery: a changed EF.SOD passes passive authentication")
    genuine = world.chips[index].data_groups
    if any(genuine.get(number) != data for number, data in read["groups"].items()):
        raise Unexpected("forgery: a changed data group passes passive authentication")
    if report.active is not None and report.active.passed and signature != world.aa_signatures[index]:
        raise Unexpected("forgery: a changed AA signature passes active authentication")
    return report.errors[0] if report.errors else ACCEPTED


CHIP_VERIFY_TARGETS: tuple[Target, ...] = (
    Target(
        "active-auth",
        "chip.active.verify_active_authentication (DG15, DG14, signature)",
        aa_inputs,
        run_active_auth,
    ),
    Target(
        "chip-verify",
        "chip.verify_chip (passive, identity, active: the check-in's gate)",
        chip_reads,
        run_chip,
    ),
)
