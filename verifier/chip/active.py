"""Active authentication, the pure part (ICAO 9303-11 §6.1): did the chip's own key sign our challenge?

Passive authentication proves the data is genuine; only AA (or chip authentication) shows the chip
is not a clone. Inputs: EF.DG15 (0x6F { SubjectPublicKeyInfo }), the 8-byte challenge we sent, the
chip's signature, and EF.DG14 for ECDSA keys (its ActiveAuthenticationInfo names the hash).
  RSA:   ISO/IEC 9796-2 scheme 1, hash from the trailer (0xBC = SHA-1, 0x..CC = explicit id)
  ECDSA: plain r || s (BSI TR-03111 §5.2.1) over the challenge, hash from DG14's
         ActiveAuthenticationInfo (9303-11 §9.2, SecurityInfos)
DG14 and DG15 must also pass passive authentication, or an attacker supplies their own key.
"""

from __future__ import annotations

from typing import Any, ClassVar

from asn1crypto import core, keys
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from verifier.chip import iso9796
from verifier.chip.algorithms import ECDSA_PLAIN_WITH, ECDSA_WITH, SignatureScheme
from verifier.chip.checks import Check, fail, ok
from verifier.chip.codes import ACTIVE_AUTH_FAILED, DG_MALFORMED, UNSUPPORTED_ALGORITHM
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.keys import PublicKey, load_public_key
from verifier.chip.signatures import verify_signature
from verifier.chip.tlv import check_nesting, unwrap

DG14_TAG = 0x6E
DG15_TAG = 0x6F
AA_PROTOCOL_OID = "2.23.136.1.1.5"  # id-icao-mrtd-security-aaProtocolObject
CLAUSE_AA = "ICAO 9303-11 §6.1; ISO/IEC 9796-2 scheme 1 / BSI TR-03111 §5.2.1"
CHALLENGE_SIZE = 8


class SecurityInfo(core.Sequence):
    """9303-11 §9.2: SecurityInfo ::= SEQUENCE { protocol, requiredData ANY, optionalData ANY OPTIONAL }."""

    _fields: ClassVar[list[Any]] = [
        ("protocol", core.ObjectIdentifier),
        ("required_data", core.Any),
        ("optional_data", core.Any, {"optional": True}),
    ]


class SecurityInfos(core.SetOf):
    _child_spec = SecurityInfo


def parse_dg15(data: bytes) -> PublicKey:
    """EF.DG15 → the AA public key (RSA or EC); malformed is C10, an unusable key C14."""
    value = unwrap(data, DG15_TAG, what="DG15")
    check_nesting(value, code=DG_MALFORMED, what="DG15")
    try:
        spki = keys.PublicKeyInfo.load(value, strict=True)
        _ = spki["algorithm"]["algorithm"].dotted, spki["algorithm"]["parameters"].native
        _ = spki["public_key"].native
    except ASN1_ERRORS as e:
        raise ChipError(DG_MALFORMED, f"DG15: not a SubjectPublicKeyInfo: {e}") from e
    return load_public_key(spki)


def parse_dg14_aa_algorithm(data: bytes) -> str | None:
    """DG14's ActiveAuthenticationInfo signatureAlgorithm OID; None if absent, C10 if malformed."""
    value = unwrap(data, DG14_TAG, what="DG14")
    check_nesting(value, code=DG_MALFORMED, what="DG14")
    try:
        infos = SecurityInfos.load(value, strict=True)
        for info in infos:
            if info["protocol"].dotted != AA_PROTOCOL_OID:
                continue
            optional = info["optional_data"]
            if optional.native is None:
                raise ChipError(DG_MALFORMED, "DG14: ActiveAuthenticationInfo has no signatureAlgorithm")
            return str(optional.parse(core.ObjectIdentifier).dotted)
    except ChipError:
        raise
    except ASN1_ERRORS as e:
        raise ChipError(DG_MALFORMED, f"DG14: SecurityInfos unreadable: {e}") from e
    return None


def verify_active_authentication(
    dg15: bytes, challenge: bytes, signature: bytes, dg14: bytes | None = None
) -> Check:
    """The `active_authentication` check: passed, C11 (bad signature), C10 (bad DG) or C14.

    `challenge` is the 8 bytes we sent (RND.IFD); any other length is a caller bug (ValueError).
    """
    if len(challenge) != CHALLENGE_SIZE:
        raise ValueError(
            f"the AA challenge is {CHALLENGE_SIZE} bytes (ICAO 9303-11 §6.1), got {len(challenge)}"
        )
    try:
        key = parse_dg15(dg15)
        if isinstance(key, rsa.RSAPublicKey):
            used = iso9796.verify(key, signature, challenge)
            return ok(
                "active_authentication",
                CLAUSE_AA,
                f"RSA {key.key_size}, ISO/IEC 9796-2 scheme 1 with {used.name}",
            )
        return _verify_ecdsa(key, challenge, signature, dg14)
    except ChipError as e:
        return fail("active_authentication", CLAUSE_AA, e.code, e.detail)
    except ASN1_ERRORS as e:  # fail closed on anything the parsers did not anticipate
        return fail("active_authentication", CLAUSE_AA, DG_MALFORMED, f"DG14/DG15 unreadable: {e}")


def _verify_ecdsa(
    key: ec.EllipticCurvePublicKey, challenge: bytes, signature: bytes, dg14: bytes | None
) -> Check:
    if dg14 is None:
        raise ChipError(
            UNSUPPORTED_ALGORITHM, "ECDSA active authentication needs DG14 to name the hash algorithm"
        )
    oid = parse_dg14_aa_algorithm(dg14)
    if oid is None:
        raise ChipError(DG_MALFORMED, "DG14 has no ActiveAuthenticationInfo (needed for ECDSA AA)")
    if oid in ECDSA_PLAIN_WITH:
        scheme = SignatureScheme("ecdsa-plain", ECDSA_PLAIN_WITH[oid])
    elif oid in ECDSA_WITH:  # X9.62 OIDs: still a plain signature on the chip, accept DER too
        scheme = SignatureScheme("ecdsa-plain", ECDSA_WITH[oid])
    else:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"AA signature algorithm {oid} is not ECDSA")
    valid = verify_signature(key, scheme, signature, challenge)
    if not valid and scheme.family == "ecdsa-plain":
        valid = verify_signature(key, SignatureScheme("ecdsa", scheme.hash), signature, challenge)
    if not valid:
        raise ChipError(
            ACTIVE_AUTH_FAILED, f"ECDSA ({key.curve.name}) with {scheme.hash.name} signature does not verify"
        )
    return ok("active_authentication", CLAUSE_AA, f"ECDSA {key.curve.name} with {scheme.hash.name}")
