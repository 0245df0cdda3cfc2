"""Public keys from SubjectPublicKeyInfo, including EC keys with explicit domain parameters.

Many eMRTD Document Signer and DG15 keys spell out their curve (ECParameters `specifiedCurve`,
RFC 3279 §2.3.5) instead of naming it, which `cryptography` refuses. We recognise the curve by its
base point and field size among the curves `cryptography` supports, then load the key as the named
curve. A curve we do not know is an unsupported algorithm (C14), never a crash.
"""

from __future__ import annotations

from functools import cache

from asn1crypto import keys
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from verifier.chip.codes import UNSUPPORTED_ALGORITHM
from verifier.chip.errors import ChipError

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_CURVES: tuple[tuple[type[ec.EllipticCurve], str], ...] = (
    (ec.SECP256R1, "1.2.840.10045.3.1.7"),
    (ec.SECP384R1, "1.3.132.0.34"),
    (ec.SECP521R1, "1.3.132.0.35"),
    (ec.SECP224R1, "1.3.132.0.33"),
    (ec.SECP192R1, "1.2.840.10045.3.1.1"),
    (ec.BrainpoolP256R1, "1.3.36.3.3.2.8.1.1.7"),
    (ec.BrainpoolP384R1, "1.3.36.3.3.2.8.1.1.11"),
    (ec.BrainpoolP512R1, "1.3.36.3.3.2.8.1.1.13"),
    (ec.SECP256K1, "1.3.132.0.10"),
)


def load_public_key(info: keys.PublicKeyInfo | bytes) -> PublicKey:
    """An RSA or EC public key; anything else, or an unknown explicit curve, is C14."""
    try:
        spki = keys.PublicKeyInfo.load(info) if isinstance(info, bytes) else info
        algorithm = spki["algorithm"]["algorithm"].dotted
        if algorithm == "1.2.840.10045.2.1":
            params = spki["algorithm"]["parameters"]
            if params.name == "specified":
                spki = _as_named_curve(spki, params.chosen)
        der = spki.dump()
    except ChipError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"unreadable public key: {e}") from e
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"public key not usable: {e}") from e
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ChipError(UNSUPPORTED_ALGORITHM, f"{type(key).__name__} keys are not used by ICAO 9303")
    return key


def _as_named_curve(spki: keys.PublicKeyInfo, domain: keys.SpecifiedECDomain) -> keys.PublicKeyInfo:
    prime = domain["field_id"]["parameters"].native
    base = bytes(domain["base"].native)
    if not isinstance(prime, int):
        raise ChipError(UNSUPPORTED_ALGORITHM, "explicit EC parameters over a non-prime field")
    for curve, oid in _CURVES:
        generator = _generator(curve)
        if generator is None or curve.key_size != prime.bit_length():
            continue
        if _same_point(base, generator):
            return keys.PublicKeyInfo(
                {
                    "algorithm": {"algorithm": "ec", "parameters": ("named", oid)},
                    "public_key": spki["public_key"],
                }
            )
    raise ChipError(
        UNSUPPORTED_ALGORITHM, f"explicit EC parameters of an unknown {prime.bit_length()}-bit curve"
    )


@cache
def _generator(curve: type[ec.EllipticCurve]) -> bytes | None:
    """The curve's base point, uncompressed: the public key of private value 1."""
    try:
        public = ec.derive_private_key(1, curve()).public_key()
    except (ValueError, UnsupportedAlgorithm):  # this OpenSSL build lacks the curve
        return None
    return public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _same_point(encoded: bytes, uncompressed: bytes) -> bool:
    if encoded[:1] == b"\x04":
        return encoded == uncompressed
    if encoded[:1] in (b"\x02", b"\x03"):
        size = (len(uncompressed) - 1) // 2
        x, y = uncompressed[1 : 1 + size], uncompressed[1 + size :]
        return encoded[1:] == x and (encoded[0] & 1) == (y[-1] & 1)
    return False
