"""Hash and signature algorithms ICAO 9303 allows, resolved from the OIDs the chip names.

ICAO 9303-12 §6 (cryptographic algorithms) allows SHA-1/224/256/384/512 with RSA PKCS#1 v1.5,
RSASSA-PSS or ECDSA. We resolve by dotted OID ourselves (not asn1crypto's names) so that the
profiles seen on real documents work: `rsaEncryption` or `id-ecPublicKey` as the *signature*
algorithm with the hash taken from `digestAlgorithm`, and BSI TR-03111 plain ECDSA OIDs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from asn1crypto import algos
from cryptography.hazmat.primitives import hashes

from verifier.chip.codes import UNSUPPORTED_ALGORITHM
from verifier.chip.errors import ChipError


@dataclass(frozen=True)
class HashSpec:
    name: str  # "SHA-256"
    oid: str
    hashlib_name: str
    size: int
    iso10118_id: int  # ISO/IEC 10118-3 hash identifier, used in ISO 9796-2 trailers (0x..CC)
    make: Callable[[], hashes.HashAlgorithm]

    def digest(self, data: bytes) -> bytes:
        return hashlib.new(self.hashlib_name, data).digest()


SHA1 = HashSpec("SHA-1", "1.3.14.3.2.26", "sha1", 20, 0x33, hashes.SHA1)
SHA224 = HashSpec("SHA-224", "2.16.840.1.101.3.4.2.4", "sha224", 28, 0x38, hashes.SHA224)
SHA256 = HashSpec("SHA-256", "2.16.840.1.101.3.4.2.1", "sha256", 32, 0x34, hashes.SHA256)
SHA384 = HashSpec("SHA-384", "2.16.840.1.101.3.4.2.2", "sha384", 48, 0x36, hashes.SHA384)
SHA512 = HashSpec("SHA-512", "2.16.840.1.101.3.4.2.3", "sha512", 64, 0x35, hashes.SHA512)
HASHES: tuple[HashSpec, ...] = (SHA1, SHA224, SHA256, SHA384, SHA512)
_BY_OID = {h.oid: h for h in HASHES}
_BY_ISO_ID = {h.iso10118_id: h for h in HASHES}


def hash_by_oid(oid: str) -> HashSpec:
    try:
        return _BY_OID[oid]
    except KeyError:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"hash algorithm {oid} is not one ICAO 9303 allows") from None


def hash_by_iso_id(ident: int) -> HashSpec:
    try:
        return _BY_ISO_ID[ident]
    except KeyError:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"ISO/IEC 10118-3 hash id 0x{ident:02X} unsupported") from None


Family = Literal["pkcs1v15", "pss", "ecdsa", "ecdsa-plain"]

_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_RSA_PSS = "1.2.840.113549.1.1.10"
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_ECDSA_SPECIFIED = "1.2.840.10045.4"
_MGF1 = "1.2.840.113549.1.1.8"
_RSA_WITH = {
    "1.2.840.113549.1.1.5": SHA1,
    "1.2.840.113549.1.1.14": SHA224,
    "1.2.840.113549.1.1.11": SHA256,
    "1.2.840.113549.1.1.12": SHA384,
    "1.2.840.113549.1.1.13": SHA512,
}
ECDSA_WITH = {
    "1.2.840.10045.4.1": SHA1,
    "1.2.840.10045.4.3.1": SHA224,
    "1.2.840.10045.4.3.2": SHA256,
    "1.2.840.10045.4.3.3": SHA384,
    "1.2.840.10045.4.3.4": SHA512,
}
# BSI TR-03111 §5.2.1 ecdsa-plain-signatures (0.4.0.127.0.7.1.1.4.1.x): r || s, not DER.
ECDSA_PLAIN_WITH = {
    "0.4.0.127.0.7.1.1.4.1.1": SHA1,
    "0.4.0.127.0.7.1.1.4.1.2": SHA224,
    "0.4.0.127.0.7.1.1.4.1.3": SHA256,
    "0.4.0.127.0.7.1.1.4.1.4": SHA384,
    "0.4.0.127.0.7.1.1.4.1.5": SHA512,
}


@dataclass(frozen=True)
class SignatureScheme:
    family: Family
    hash: HashSpec
    mgf_hash: HashSpec | None = None  # RSASSA-PSS only
    salt_length: int | None = None  # RSASSA-PSS only

    @property
    def name(self) -> str:
        label = {"pkcs1v15": "RSA PKCS#1 v1.5", "pss": "RSASSA-PSS", "ecdsa": "ECDSA", "ecdsa-plain": "ECDSA"}
        extra = f", MGF1-{self.mgf_hash.name}, salt {self.salt_length}" if self.mgf_hash else ""
        plain = " (plain r||s)" if self.family == "ecdsa-plain" else ""
        return f"{label[self.family]} with {self.hash.name}{extra}{plain}"


def resolve_scheme(algorithm: algos.SignedDigestAlgorithm, digest_oid: str | None = None) -> SignatureScheme:
    """The scheme a `SignatureAlgorithmIdentifier` names (RFC 4055 PSS parameters included).

    `digest_oid` is the CMS SignerInfo digestAlgorithm, used when the signature OID names only the
    key type (rsaEncryption, id-ecPublicKey), as many Document Signers do.
    """
    try:
        oid = algorithm["algorithm"].dotted
    except (ValueError, TypeError, KeyError) as e:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"unreadable signature algorithm: {e}") from e
    if oid in _RSA_WITH:
        return SignatureScheme("pkcs1v15", _RSA_WITH[oid])
    if oid in ECDSA_WITH:
        return SignatureScheme("ecdsa", ECDSA_WITH[oid])
    if oid in ECDSA_PLAIN_WITH:
        return SignatureScheme("ecdsa-plain", ECDSA_PLAIN_WITH[oid])
    if oid in (_RSA_ENCRYPTION, _EC_PUBLIC_KEY, _ECDSA_SPECIFIED):
        if digest_oid is None:
            raise ChipError(UNSUPPORTED_ALGORITHM, f"signature algorithm {oid} names no hash")
        family: Family = "pkcs1v15" if oid == _RSA_ENCRYPTION else "ecdsa"
        return SignatureScheme(family, hash_by_oid(digest_oid))
    if oid == _RSA_PSS:
        return _pss_scheme(algorithm)
    raise ChipError(UNSUPPORTED_ALGORITHM, f"signature algorithm {oid} is not supported")


def _pss_scheme(algorithm: algos.SignedDigestAlgorithm) -> SignatureScheme:
    """RFC 4055 §3.1 RSASSA-PSS-params; absent fields take the RFC defaults (SHA-1, MGF1, salt 20)."""
    try:
        params = algorithm["parameters"]
        if not isinstance(params, algos.RSASSAPSSParams):
            params = algos.RSASSAPSSParams()
        hash_oid = params["hash_algorithm"]["algorithm"].dotted
        mgf = params["mask_gen_algorithm"]
        mgf_oid = mgf["algorithm"].dotted
        mgf_hash_oid = mgf["parameters"]["algorithm"].dotted
        salt = int(params["salt_length"].native)
        trailer = params["trailer_field"].native in ("trailer_field_bc", 1)
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"unreadable RSASSA-PSS parameters: {e}") from e
    if mgf_oid != _MGF1:
        raise ChipError(UNSUPPORTED_ALGORITHM, f"RSASSA-PSS mask generation {mgf_oid} is not MGF1")
    if not trailer:
        raise ChipError(UNSUPPORTED_ALGORITHM, "RSASSA-PSS trailer field other than 0xBC")
    if not 0 <= salt <= 1024:  # (not quoted when huge: Python refuses decimal text past 4300 digits)
        shown = salt if salt.bit_length() <= 64 else f"of {salt.bit_length()} bits"
        raise ChipError(UNSUPPORTED_ALGORITHM, f"RSASSA-PSS salt length {shown} out of range")
    return SignatureScheme("pss", hash_by_oid(hash_oid), hash_by_oid(mgf_hash_oid), salt)
