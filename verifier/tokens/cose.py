"""COSE_Sign1 (RFC 9052) with the algorithms health credentials use: ES256, PS256, EdDSA.

cbor2 does the CBOR and `cryptography` the signatures; this module only builds the
Sig_structure and converts between COSE's raw ECDSA signatures (r || s) and the DER form
`cryptography` speaks. Keeping that in one place is why there is no hand-written codec anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from verifier.tokens.problems import MALFORMED, TokenProblem

PublicKey: TypeAlias = (
    ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)
PrivateKey: TypeAlias = (
    ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
)

COSE_SIGN1_TAG = 18
CWT_TAG = 61
HEADER_ALG = 1
HEADER_KID = 4

# COSE algorithm ids (IANA "COSE Algorithms") -> name, hash, EC curve for ECDSA.
ES256, ES384, ES512, PS256, PS384, PS512, EDDSA = -7, -35, -36, -37, -38, -39, -8
ALGORITHM_NAMES = {
    ES256: "ES256",
    ES384: "ES384",
    ES512: "ES512",
    PS256: "PS256",
    PS384: "PS384",
    PS512: "PS512",
    EDDSA: "EdDSA",
}
_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    ES256: hashes.SHA256,
    ES384: hashes.SHA384,
    ES512: hashes.SHA512,
    PS256: hashes.SHA256,
    PS384: hashes.SHA384,
    PS512: hashes.SHA512,
}
_CURVES: dict[int, type[ec.EllipticCurve]] = {ES256: ec.SECP256R1, ES384: ec.SECP384R1, ES512: ec.SECP521R1}
_NIST_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


class UnsupportedAlgorithm(ValueError):
    """The algorithm is unknown, or does not fit the key (e.g. ES256 with an RSA key)."""


@dataclass(frozen=True)
class CoseSign1:
    """A COSE_Sign1 as received: the protected header kept as its exact bytes (they are signed)."""

    protected_bytes: bytes
    protected: dict[Any, Any]
    unprotected: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def alg(self) -> int | None:
        alg = self.protected.get(HEADER_ALG, self.unprotected.get(HEADER_ALG))
        # COSE algorithm ids are small; a CBOR bignum here is no algorithm (and Python refuses
        # decimal text of one past 4300 digits, which an error message would need).
        if isinstance(alg, int) and not isinstance(alg, bool) and alg.bit_length() <= 64:
            return alg
        return None

    @property
    def kid(self) -> bytes | None:
        """Protected kid first: an unprotected one is not covered by the signature (DCC allows it)."""
        kid = self.protected.get(HEADER_KID, self.unprotected.get(HEADER_KID))
        return kid if isinstance(kid, bytes) else None

    def to_bytes(self) -> bytes:
        body = [self.protected_bytes, self.unprotected, self.payload, self.signature]
        return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, body))


def algorithm_for(key: PrivateKey | PublicKey) -> int:
    """The algorithm a key signs with when we issue: ES256/384/512 by curve, PS256 for RSA, EdDSA."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        for alg, curve in _CURVES.items():
            if isinstance(key.curve, curve):
                return alg
        raise UnsupportedAlgorithm(f"EC curve {key.curve.name} has no COSE ECDSA algorithm")
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return PS256
    return EDDSA


def sign1(payload: bytes, key: PrivateKey, kid: bytes, alg: int | None = None) -> CoseSign1:
    alg = algorithm_for(key) if alg is None else alg
    protected = {HEADER_ALG: alg, HEADER_KID: kid}
    protected_bytes = cbor2.dumps(protected)
    to_sign = _sig_structure(protected_bytes, payload)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(to_sign, ec.ECDSA(_hash(alg))))
        size = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, _pss(alg), _hash(alg))
    else:
        signature = key.sign(to_sign)
    return CoseSign1(protected_bytes, protected, {}, payload, signature)


def verify_signature(message: CoseSign1, key: PublicKey) -> bool:
    """True when the signature is valid for this key; UnsupportedAlgorithm when alg and key disagree."""
    alg = message.alg
    if alg is None or alg not in ALGORITHM_NAMES:
        raise UnsupportedAlgorithm(f"algorithm {alg!r} is not supported")
    data = _sig_structure(message.protected_bytes, message.payload)
    sig = message.signature
    try:
        if alg in _CURVES:
            # The alg fixes the hash; RFC 9053 only recommends the matching curve, and EU DCC
            # issuers exist that sign ES256 with P-384, so any NIST curve we know is accepted.
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, _NIST_CURVES):
                raise UnsupportedAlgorithm(f"{ALGORITHM_NAMES[alg]} needs an EC key on P-256, P-384 or P-521")
            size = (key.curve.key_size + 7) // 8
            if len(sig) != 2 * size:
                return False
            der = encode_dss_signature(int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big"))
            key.verify(der, data, ec.ECDSA(_hash(alg)))
        elif alg in (PS256, PS384, PS512):
            if not isinstance(key, rsa.RSAPublicKey):
                raise UnsupportedAlgorithm(f"{ALGORITHM_NAMES[alg]} needs an RSA key")
            if key.key_size < 2048:
                raise UnsupportedAlgorithm(f"RSA keys under 2048 bits are refused ({key.key_size})")
            key.verify(sig, data, _pss(alg), _hash(alg))
        else:
            if not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
                raise UnsupportedAlgorithm("EdDSA needs an Ed25519 or Ed448 key")
            key.verify(sig, data)
    except InvalidSignature:
        return False
    return True


# Semantic tags cbor2 would build Python objects from: dates, decimal and rational numbers, regular
# expressions, MIME messages, UUIDs, sets, IP addresses, shared values and string references. No
# credential uses them, and building them runs library code on hostile bytes, so they stay plain
# tags. Two of them broke the verifier: an invalid IP network escaped as an "unraisable" exception
# (a stderr traceback per token), and value sharing (28/29) let a 400-byte token name a map key of
# 2^60 shared leaves, whose hash never returned. Only bignums (2, 3) keep their meaning.
_INERT_TAGS = (0, 1, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261, 1004, 43000)


def _inert(tag: int) -> Callable[[Any, bool], cbor2.CBORTag]:
    return lambda value, immutable: cbor2.CBORTag(tag, value)


_PLAIN_DECODERS = {tag: _inert(tag) for tag in _INERT_TAGS}


def loads(data: bytes) -> Any:
    """CBOR as credentials use it: duplicate map keys refused, semantic tags left uninterpreted."""
    return cbor2.loads(data, allow_duplicate_keys=False, semantic_decoders=_PLAIN_DECODERS)


def parse_sign1(data: bytes) -> CoseSign1:
    """Read a COSE_Sign1, tagged (18, possibly inside CWT tag 61) or untagged; TokenProblem if not one."""
    try:
        item = loads(data)
    except Exception as e:  # cbor2 raises several types (CBORDecodeError, ValueError, RecursionError...)
        raise TokenProblem(MALFORMED, f"not CBOR: {e}") from None
    if isinstance(item, cbor2.CBORTag) and item.tag == CWT_TAG:
        item = item.value
    if isinstance(item, cbor2.CBORTag):
        if item.tag != COSE_SIGN1_TAG:
            raise TokenProblem(MALFORMED, f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
        item = item.value
    if not (isinstance(item, list | tuple) and len(item) == 4):  # tagged arrays decode as tuples
        raise TokenProblem(MALFORMED, "COSE_Sign1 must be an array of 4 items")
    protected_bytes, unprotected, payload, signature = item
    if not all(isinstance(x, bytes) for x in (protected_bytes, payload, signature)):
        raise TokenProblem(MALFORMED, "COSE_Sign1 header, payload and signature must be byte strings")
    if not isinstance(unprotected, Mapping):
        raise TokenProblem(MALFORMED, "COSE_Sign1 unprotected header must be a map")
    try:
        protected = loads(protected_bytes) if protected_bytes else {}
    except Exception as e:
        raise TokenProblem(MALFORMED, f"protected header is not CBOR: {e}") from None
    if not isinstance(protected, dict):
        raise TokenProblem(MALFORMED, "protected header must be a map")
    return CoseSign1(protected_bytes, protected, dict(unprotected), payload, signature)


def _sig_structure(protected_bytes: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected_bytes, b"", payload])


def _hash(alg: int) -> hashes.HashAlgorithm:
    if alg not in _HASHES:
        raise UnsupportedAlgorithm(f"algorithm {alg} has no hash")
    return _HASHES[alg]()


def _pss(alg: int) -> padding.PSS:
    """RFC 8230 §2: MGF1 with the same hash, salt as long as the hash."""
    h = _hash(alg)
    return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
