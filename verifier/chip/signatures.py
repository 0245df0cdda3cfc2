"""Signature verification for every signer ICAO 9303 uses: SOD, certificates, CRLs, master lists.

One function, so the SOD signature, the CSCA's signature on the Document Signer, a CRL and a
master list are all checked by the same code: RSA PKCS#1 v1.5, RSASSA-PSS with the parameters the
signer declared (RFC 4055), ECDSA with DER or BSI TR-03111 plain r||s signatures.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier.chip.algorithms import SignatureScheme
from verifier.chip.codes import UNSUPPORTED_ALGORITHM
from verifier.chip.errors import ChipError
from verifier.chip.keys import PublicKey


def verify_signature(key: PublicKey, scheme: SignatureScheme, signature: bytes, data: bytes) -> bool:
    """True when `signature` by `key` over `data` is valid under `scheme`.

    A key of the wrong type for the scheme is simply an invalid signature (a forged SOD may claim
    any algorithm); a scheme `cryptography` cannot run is `ChipError(C14)`.
    """
    algorithm = scheme.hash.make()
    try:
        if scheme.family in ("pkcs1v15", "pss"):
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            pad: padding.AsymmetricPadding = padding.PKCS1v15()
            if scheme.family == "pss":
                mgf_hash = scheme.mgf_hash or scheme.hash
                salt = scheme.salt_length if scheme.salt_length is not None else scheme.hash.size
                pad = padding.PSS(mgf=padding.MGF1(mgf_hash.make()), salt_length=salt)
            key.verify(signature, data, pad, algorithm)
            return True
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        der = plain_to_der(signature, key.curve.key_size) if scheme.family == "ecdsa-plain" else signature
        if der is None:
            return False
        key.verify(der, data, ec.ECDSA(algorithm))
        return True
    except InvalidSignature:
        return False
    except UnsupportedAlgorithm as e:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"{scheme.name} not available: {e}") from e
    except (ValueError, TypeError, OverflowError):  # e.g. a signature that is not DER at all
        return False


def plain_to_der(signature: bytes, key_size: int) -> bytes | None:
    """BSI TR-03111 §5.2.1 plain signature r || s (each ⌈n/8⌉ bytes) as the DER `cryptography` wants."""
    size = (key_size + 7) // 8
    if len(signature) != 2 * size:
        return None
    r, s = int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    if r == 0 or s == 0:
        return None
    return encode_dss_signature(r, s)
