"""ISO/IEC 9796-2 digital signature scheme 1 (message recovery), as eMRTD chips use it for RSA AA.

ICAO 9303-11 §6.1: the chip signs M = M1 || M2 where M2 is our 8-byte challenge and M1 chip-chosen
random bytes recovered from the signature: F = header || M1 || H(M1 || M2) || trailer, with trailer
0xBC (SHA-1 implicit, "option 1") or 0x??CC naming the hash by its ISO/IEC 10118-3 id ("option 2").
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from verifier.chip.algorithms import SHA1, HashSpec, hash_by_iso_id
from verifier.chip.codes import ACTIVE_AUTH_FAILED
from verifier.chip.errors import ChipError


@dataclass(frozen=True)
class Recovered:
    m1: bytes
    digest: bytes
    hash: HashSpec


def recover(key: rsa.RSAPublicKey, signature: bytes) -> Recovered:
    """Open the signature and split F into its fields; a malformed F is C11 (C14 for an unknown hash)."""
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    k = (n.bit_length() + 7) // 8
    s = int.from_bytes(signature, "big")
    if len(signature) > k or not 0 < s < n:
        raise ChipError(ACTIVE_AUTH_FAILED, "AA signature is not a number below the modulus")
    f = pow(s, e, n)
    if (f & 0xF) != 0xC:  # ISO 9796-2 (RSA): the signature may be min(J, n - J)
        f = n - f
    block = f.to_bytes(k, "big")
    if block[-1] == 0xBC:
        spec, trailer = SHA1, 1
    elif block[-1] == 0xCC:
        spec, trailer = hash_by_iso_id(block[-2]), 2
    else:
        raise ChipError(ACTIVE_AUTH_FAILED, "AA signature trailer is neither 0xBC nor 0x..CC")
    if (block[0] & 0xC0) != 0x40:
        raise ChipError(ACTIVE_AUTH_FAILED, "AA signature header bits are not '01'")
    start = _message_start(block)
    end = len(block) - trailer - spec.size
    if end < start:
        raise ChipError(ACTIVE_AUTH_FAILED, "AA signature block too short for its hash")
    return Recovered(block[start:end], block[end : end + spec.size], spec)


def verify(key: rsa.RSAPublicKey, signature: bytes, m2: bytes) -> HashSpec:
    """Check H(M1 || M2) against the recovered hash; returns the hash used, raises C11 otherwise."""
    recovered = recover(key, signature)
    if recovered.hash.digest(recovered.m1 + m2) != recovered.digest:
        raise ChipError(ACTIVE_AUTH_FAILED, f"AA {recovered.hash.name} over M1 || challenge does not match")
    return recovered.hash


def _message_start(block: bytes) -> int:
    """Partial recovery puts M1 right after 0x6A; total recovery pads with 0xBB… then a 0xBA nibble."""
    if (block[0] & 0x0F) == 0x0A:
        return 1
    index = 0
    if block[0] == 0x4B:
        index = 1
        while index < len(block) and block[index] == 0xBB:
            index += 1
        if index < len(block) and block[index] == 0xBA:
            return index + 1
    raise ChipError(ACTIVE_AUTH_FAILED, "AA signature padding field is malformed")
