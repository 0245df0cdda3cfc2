"""EF.SOD: the Document Security Object (ICAO 9303-10 §4.6.2), parsed but not yet verified.

EF.SOD is tag 0x77 around a CMS ContentInfo{SignedData} whose eContent (type
id-icao-mrtd-security-ldsSecurityObject 2.23.136.1.1.1) is the LDSSecurityObject: the hash
algorithm and one hash per data group. Readers sometimes hand over the bare ContentInfo; both work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from asn1crypto import algos, core

from verifier.chip.cms import SignedContent, parse_signed_data
from verifier.chip.codes import SOD_MALFORMED
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.tlv import read_tlv, unwrap

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
EF_SOD_TAG = 0x77


class DataGroupHash(core.Sequence):
    """9303-10 §4.6.2.2: DataGroupHash ::= SEQUENCE { dataGroupNumber, dataGroupHashValue }."""

    _fields: ClassVar[list[Any]] = [
        ("data_group_number", core.Integer),
        ("data_group_hash_value", core.OctetString),
    ]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LdsVersionInfo(core.Sequence):
    _fields: ClassVar[list[Any]] = [
        ("lds_version", core.PrintableString),
        ("unicode_version", core.PrintableString),
    ]


class LdsSecurityObject(core.Sequence):
    """9303-10 §4.6.2.2 LDSSecurityObject (v0; v1 adds ldsVersionInfo)."""

    _fields: ClassVar[list[Any]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class SecurityObject:
    signed: SignedContent
    version: int
    hash_oid: str
    dg_hashes: Mapping[int, bytes]
    lds_version: str | None


def parse_sod(data: bytes) -> SecurityObject:
    """EF.SOD → its parts; anything structurally wrong is `ChipError(C01)`."""
    if not data:
        raise ChipError(SOD_MALFORMED, "EF.SOD: empty")
    first = read_tlv(data, code=SOD_MALFORMED, what="EF.SOD")
    content_info = (
        unwrap(data, EF_SOD_TAG, code=SOD_MALFORMED, what="EF.SOD") if first.tag == EF_SOD_TAG else data
    )
    signed = parse_signed_data(
        content_info,
        expected_content_type=LDS_SECURITY_OBJECT_OID,
        code=SOD_MALFORMED,
        what="EF.SOD",
        memoise_certificates=True,  # the DS certificate: same bytes across every chip it signed
    )
    try:
        lds = LdsSecurityObject.load(signed.content, strict=True)
        version = int(lds["version"].native)
        hash_oid = lds["hash_algorithm"]["algorithm"].dotted
        hashes: dict[int, bytes] = {}
        for item in lds["data_group_hash_values"]:
            number = int(item["data_group_number"].native)
            if not 1 <= number <= 16:
                raise ChipError(SOD_MALFORMED, f"LDSSecurityObject: data group number {number} out of 1..16")
            if number in hashes:
                raise ChipError(SOD_MALFORMED, f"LDSSecurityObject: DG{number} listed twice")
            hashes[number] = bytes(item["data_group_hash_value"].native)
        info = lds["lds_version_info"]
        lds_version = None if info.native is None else str(info["lds_version"].native)
    except ChipError:
        raise
    except ASN1_ERRORS as e:
        raise ChipError(SOD_MALFORMED, f"LDSSecurityObject unreadable: {e}") from e
    if not hashes:
        raise ChipError(SOD_MALFORMED, "LDSSecurityObject lists no data group hashes")
    return SecurityObject(signed, version, hash_oid, hashes, lds_version)
