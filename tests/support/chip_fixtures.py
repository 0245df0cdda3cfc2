"""Builders for chip (ICAO 9303 eMRTD) test data: real CSCA → DS → EF.SOD chains and data groups.

Everything is built with `cryptography` (keys, certificates, CRLs, signatures) and asn1crypto
(CMS, LDS structures), independently of `verifier.chip`'s parsers, so the tests check the
verifier against what a real issuer would produce. Keys are generated once per test session
(`functools.cache`); RSA-2048 generation is the slow part, so only a handful exist.

The default chip holds a synthetic citizen: CCCD 001093012345 (born 1993-01-05, male), name
"Nguyễn Văn An", issued 2024-01-05, expiring 2033-01-05; "now" is 2026-05-01T03:00Z.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, ClassVar, Literal

from asn1crypto import algos, cms, core, parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

NOW = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
LDS_OID = "2.23.136.1.1.1"
MASTER_LIST_OID = "2.23.136.1.1.2"
AA_PROTOCOL_OID = "2.23.136.1.1.5"
ECDSA_PLAIN_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"
ECDSA_PLAIN_SHA384 = "0.4.0.127.0.7.1.1.4.1.4"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
Scheme = Literal["pkcs1v15", "pss", "ecdsa", "ecdsa-plain"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_HASH_OIDS = {
    "sha1": "1.3.14.3.2.26",
    "sha224": "2.16.840.1.101.3.4.2.4",
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}
_ISO10118_IDS = {"sha1": 0x33, "sha224": 0x38, "sha256": 0x34, "sha384": 0x36, "sha512": 0x35}


# --- keys -------------------------------------------------------------------------------------


@cache
def rsa_key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """A cached RSA key per label (labels keep distinct roles distinct)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(label: str, curve: str = "P-256") -> ec.EllipticCurvePrivateKey:
    curves: dict[str, ec.EllipticCurve] = {
        "P-256": ec.SECP256R1(),
        "P-384": ec.SECP384R1(),
        "brainpoolP256r1": ec.BrainpoolP256R1(),
    }
    return ec.generate_private_key(curves[curve])


# --- certificates -----------------------------------------------------------------------------


def name(common_name: str, country: str = "VN") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ministry of Public Security"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


KeyUsageKind = Literal["csca", "ds", "signer", "none", "encipher"]


def make_certificate(
    subject: x509.Name,
    public_key: Any,
    issuer: x509.Name,
    issuer_key: PrivateKey,
    *,
    not_before: datetime,
    not_after: datetime,
    usage: KeyUsageKind,
    serial: int,
    hash_name: str = "sha256",
    pss: bool = False,
    issuer_public_key: Any = None,
) -> x509.Certificate:
    """A certificate as ICAO 9303-12 §7.1 profiles it (CSCA: keyCertSign/cRLSign, DS: digitalSignature)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key or issuer_key.public_key()),
            critical=False,
        )
    )
    if usage == "csca":
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    if usage != "none":
        flags = dict.fromkeys(
            (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        if usage == "csca":
            flags.update(key_cert_sign=True, crl_sign=True)
        elif usage == "encipher":
            flags.update(key_encipherment=True)
        else:
            flags.update(digital_signature=True)
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    algorithm: Any = _HASHES[hash_name]()  # the builder's stubs accept only SHA-2/3 classes
    if pss:
        return builder.sign(
            issuer_key,
            algorithm,
            rsa_padding=padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size),
        )
    return builder.sign(issuer_key, algorithm)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Issuer:
    """A certificate and its private key (a CSCA, a Document Signer, a master-list signer)."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return der(self.cert)


def make_csca(
    label: str = "csca-rsa",
    *,
    key: PrivateKey | None = None,
    common_name: str = "CSCA Viet Nam",
    not_before: datetime = datetime(2020, 1, 1, tzinfo=UTC),
    not_after: datetime = datetime(2040, 1, 1, tzinfo=UTC),
    serial: int = 1,
    usage: KeyUsageKind = "csca",
) -> Issuer:
    key = key or rsa_key(label)
    subject = name(common_name)
    cert = make_certificate(
        subject,
        key.public_key(),
        subject,
        key,
        not_before=not_before,
        not_after=not_after,
        usage=usage,
        serial=serial,
    )
    return Issuer(cert, key)


def make_ds(
    csca: Issuer,
    label: str = "ds-rsa",
    *,
    key: PrivateKey | None = None,
    common_name: str = "Document Signer CCCD 01",
    not_before: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    not_after: datetime = datetime(2036, 1, 1, tzinfo=UTC),
    serial: int = 0x1001,
    usage: KeyUsageKind = "ds",
    pss: bool = False,
    hash_name: str = "sha256",
) -> Issuer:
    key = key or rsa_key(label)
    cert = make_certificate(
        name(common_name),
        key.public_key(),
        csca.cert.subject,
        csca.key,
        not_before=not_before,
        not_after=not_after,
        usage=usage,
        serial=serial,
        pss=pss,
        hash_name=hash_name,
    )
    return Issuer(cert, key)


# --- TLV helpers (asn1crypto's emitter, so tag bytes match what the standard writes) -----------


def tlv(tag: int, value: bytes) -> bytes:
    """Encode one TLV; `tag` as ICAO writes it (0x61, 0x5F1F, 0x7F61…)."""
    raw = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    first = raw[0]
    class_, method = first >> 6, (first >> 5) & 1
    if first & 0x1F != 0x1F:
        number = first & 0x1F
    else:
        number = 0
        for b in raw[1:]:
            number = (number << 7) | (b & 0x7F)
    return bytes(parser.emit(class_, method, number, value))


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def utf8(text: str) -> bytes:
    return bytes(core.UTF8String(text).dump())


def integer(value: int) -> bytes:
    return bytes(core.Integer(value).dump())


def oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


# --- data groups ------------------------------------------------------------------------------


def mrz_check_digit(field: str) -> str:
    """ICAO 9303-3 §4.9, written again here so fixtures do not depend on the code under test."""
    values = {**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}
    return str(sum(values[ch] * (7, 3, 1)[i % 3] for i, ch in enumerate(field)) % 10)


@dataclass(frozen=True)
class Citizen:
    number: str = "001093012345"
    full_name: str = "Nguyễn Văn An"
    mrz_name: str = "NGUYEN<<VAN<AN"
    date_of_birth: date = date(1993, 1, 5)
    sex: str = "M"
    gender_text: str = "Nam"
    issue_date: date = date(2024, 1, 5)
    expiry_date: date = date(2033, 1, 5)
    nationality: str = "Việt Nam"
    ethnicity: str = "Kinh"
    religion: str = "Không"
    hometown: str = "Phường Trúc Bạch, Ba Đình, Hà Nội"
    residence: str = "Số 1 Phố Huế, Hai Bà Trưng, Hà Nội"
    features: str = "Nốt ruồi cách 2cm trên đuôi mắt trái"
    father: str = "Nguyễn Văn Bình"
    mother: str = "Trần Thị Cúc"
    old_id: str = "012345678"

    def enrolment(self) -> dict[str, str]:
        """The enrollment fields (gRPC) that make an insurance participant this chip's holder."""
        return {
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "personal_id": self.number,
        }


CITIZEN = Citizen()


def td1_lines(citizen: Citizen = CITIZEN, *, break_check: str | None = None) -> str:
    """The CCCD TD1 MRZ; `break_check` ('number', 'birth', 'expiry', 'composite') corrupts that digit."""
    doc = citizen.number[3:]
    optional = (citizen.number + "<<<")[:14]
    doc_cd = mrz_check_digit(doc)
    opt_cd = mrz_check_digit(optional)
    line1 = f"IDVNM{doc}{doc_cd}{optional}{opt_cd}"
    birth = citizen.date_of_birth.strftime("%y%m%d")
    expiry = citizen.expiry_date.strftime("%y%m%d")
    birth_cd, expiry_cd = mrz_check_digit(birth), mrz_check_digit(expiry)
    optional2 = "<" * 11
    composite = mrz_check_digit(line1[5:30] + birth + birth_cd + expiry + expiry_cd + optional2)
    if break_check == "number":
        line1 = line1[:14] + str((int(doc_cd) + 1) % 10) + line1[15:]
    line2_parts = [birth, birth_cd, citizen.sex, expiry, expiry_cd, "VNM", optional2, composite]
    if break_check == "birth":
        line2_parts[1] = str((int(birth_cd) + 1) % 10)
    if break_check == "expiry":
        line2_parts[4] = str((int(expiry_cd) + 1) % 10)
    if break_check == "composite":
        line2_parts[7] = str((int(composite) + 1) % 10)
    line2 = "".join(line2_parts)
    line3 = (citizen.mrz_name + "<" * 30)[:30]
    assert len(line1) == len(line2) == len(line3) == 30
    return line1 + line2 + line3


def dg1(mrz: str | None = None) -> bytes:
    """EF.DG1: 0x61 { 0x5F1F MRZ }."""
    text = mrz if mrz is not None else td1_lines()
    return tlv(0x61, tlv(0x5F1F, text.encode("ascii")))


def dg13_fields(citizen: Citizen = CITIZEN) -> dict[int, str | tuple[str, ...]]:
    """The DG13 fields as published CCCD readers number them (see verifier/chip/dg13.py)."""
    return {
        1: citizen.number,
        2: citizen.full_name,
        3: citizen.date_of_birth.strftime("%d/%m/%Y"),
        4: citizen.gender_text,
        5: citizen.nationality,
        6: citizen.ethnicity,
        7: citizen.religion,
        8: citizen.hometown,
        9: citizen.residence,
        10: citizen.features,
        11: citizen.issue_date.strftime("%d/%m/%Y"),
        12: citizen.expiry_date.strftime("%d/%m/%Y"),
        13: (citizen.father, citizen.mother),
        15: citizen.old_id,
    }


def dg13(
    fields: Mapping[int, str | tuple[str, ...]] | None = None,
    *,
    nested_parents: bool = True,
    wrapper: bool = False,
) -> bytes:
    """EF.DG13: 0x6D { SEQUENCE { INTEGER index, UTF8String value… } … }.

    `nested_parents` puts each parent's name in its own SEQUENCE; `wrapper` wraps all fields in a
    SEQUENCE that starts with a version INTEGER (a layout variant seen in some reader dumps).
    """
    items: list[bytes] = []
    for index, value in (fields if fields is not None else dg13_fields()).items():
        if isinstance(value, tuple):
            parts = [seq(utf8(v)) if nested_parents else utf8(v) for v in value]
        else:
            parts = [utf8(value)]
        items.append(seq(integer(index), *parts))
    body = b"".join(items)
    if wrapper:
        body = seq(integer(1), body)
    return tlv(0x6D, body)


TINY_JPEG = (
    bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + bytes(64) + bytes.fromhex("ffd9")
)
TINY_JP2 = bytes.fromhex("0000000c6a5020200d0a870a") + bytes(40)
TINY_J2K = bytes.fromhex("ff4fff51") + bytes(40)


def iso19794_5_record(image: bytes, *, image_type: int = 0, width: int = 240, height: int = 320) -> bytes:
    """ISO/IEC 19794-5:2005 facial record: general header, facial info, image info, image."""
    facial_info = (
        (0).to_bytes(2, "big")  # feature points
        + bytes([1, 0, 0])  # gender, eye colour, hair colour
        + bytes(3)  # property mask
        + bytes(2)  # expression
        + bytes(3)  # pose angles
        + bytes(3)  # pose angle uncertainty
    )
    image_info = (
        bytes([1, image_type])  # full frontal, JPEG (0) or JPEG 2000 (1)
        + width.to_bytes(2, "big")
        + height.to_bytes(2, "big")
        + bytes([1, 2])  # colour space, source type
        + bytes(2)  # device type
        + bytes(2)  # quality
    )
    block_length = 4 + len(facial_info) + len(image_info) + len(image)
    block = block_length.to_bytes(4, "big") + facial_info + image_info + image
    header = b"FAC\x00" + b"010\x00" + (14 + len(block)).to_bytes(4, "big") + (1).to_bytes(2, "big")
    return header + block


def dg2(image: bytes = TINY_JPEG, *, record: bytes | None = None, block_tag: int = 0x5F2E) -> bytes:
    """EF.DG2: 0x75 { 0x7F61 { 0x02 count, 0x7F60 { 0xA1 header, 0x5F2E record } } }."""
    header = tlv(
        0xA1, tlv(0x80, b"\x01\x01") + tlv(0x81, b"\x02") + tlv(0x87, b"\x01\x01") + tlv(0x88, b"\x00\x08")
    )
    data = record if record is not None else iso19794_5_record(image)
    template = tlv(0x7F60, header + tlv(block_tag, data))
    return tlv(0x75, tlv(0x7F61, tlv(0x02, b"\x01") + template))


def dg14(aa_algorithm: str | None = ECDSA_PLAIN_SHA256) -> bytes:
    """EF.DG14: 0x6E { SET OF SecurityInfo }, with an ActiveAuthenticationInfo when asked."""
    infos = [seq(oid("0.4.0.127.0.7.2.2.3.2.4"), integer(1), integer(13))]  # a ChipAuthenticationInfo
    if aa_algorithm is not None:
        infos.append(seq(oid(AA_PROTOCOL_OID), integer(1), oid(aa_algorithm)))
    return tlv(0x6E, tlv(0x31, b"".join(infos)))


def dg15(public_key: Any) -> bytes:
    """EF.DG15: 0x6F { SubjectPublicKeyInfo }."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return tlv(0x6F, spki)


# --- active authentication, the chip side ------------------------------------------------------


def aa_sign_rsa(key: rsa.RSAPrivateKey, challenge: bytes, hash_name: str = "sha1") -> bytes:
    """ISO/IEC 9796-2 scheme 1 with partial recovery, as a chip answers INTERNAL AUTHENTICATE."""
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    k = (n.bit_length() + 7) // 8
    h = hashlib.new(hash_name)
    trailer = b"\xbc" if hash_name == "sha1" else bytes([_ISO10118_IDS[hash_name], 0xCC])
    m1 = hashlib.sha512(b"chip nonce" + challenge).digest() * 8
    m1 = m1[: k - 1 - h.digest_size - len(trailer)]
    h.update(m1 + challenge)
    block = b"\x6a" + m1 + h.digest() + trailer
    s = pow(int.from_bytes(block, "big"), d, n)
    return min(s, n - s).to_bytes(k, "big")


def aa_sign_ec(key: ec.EllipticCurvePrivateKey, challenge: bytes, hash_name: str = "sha256") -> bytes:
    """ECDSA over the challenge, plain r || s (BSI TR-03111)."""
    r, s = decode_dss_signature(key.sign(challenge, ec.ECDSA(_HASHES[hash_name]())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


# --- EF.SOD -----------------------------------------------------------------------------------


class _DataGroupHash(core.Sequence):
    _fields: ClassVar[list[Any]] = [("number", core.Integer), ("hash", core.OctetString)]


class _DataGroupHashes(core.SequenceOf):
    _child_spec = _DataGroupHash


class _LdsSecurityObject(core.Sequence):
    _fields: ClassVar[list[Any]] = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("hashes", _DataGroupHashes),
    ]


class _CertificateSet(core.SetOf):
    _child_spec = asn1_x509.Certificate


class _CscaMasterList(core.Sequence):
    _fields: ClassVar[list[Any]] = [("version", core.Integer), ("certs", _CertificateSet)]


@dataclass(frozen=True)
class SignOptions:
    """How the signer builds the CMS (defaults: RSA PKCS#1 v1.5, SHA-256, DS cert included)."""

    scheme: Scheme = "pkcs1v15"
    digest: str = "sha256"  # SignerInfo digestAlgorithm and signature hash
    bare_signature_oid: bool = False  # rsaEncryption / id-ecPublicKey instead of sha256WithRSA…
    pss_salt: int | None = None  # default: digest size
    include_certificate: bool = True
    extra_certificates: tuple[x509.Certificate, ...] = ()
    sid: Literal["issuer_serial", "ski"] = "issuer_serial"
    bad_message_digest: bool = False
    content_type_attr: str | None = None  # default: the eContentType
    signer_cert: x509.Certificate | None = None  # the certificate placed in the CMS (default: signer's)


def sign_cms(
    content_type: str, content: bytes, signer: Issuer, options: SignOptions = SignOptions()
) -> bytes:
    """ContentInfo{SignedData} over `content`, signed by `signer` as `options` says."""
    digest = hashlib.new(options.digest, content).digest()
    if options.bad_message_digest:
        digest = bytes([digest[0] ^ 1]) + digest[1:]
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": [options.content_type_attr or content_type]},
            {"type": "message_digest", "values": [digest]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": NOW - timedelta(days=30)})]},
        ]
    )
    to_sign = bytes(attrs.dump())
    algorithm = _HASHES[options.digest]()
    signature_algorithm: dict[str, Any]
    if options.scheme in ("pkcs1v15", "pss"):
        assert isinstance(signer.key, rsa.RSAPrivateKey)
        if options.scheme == "pss":
            salt = options.pss_salt if options.pss_salt is not None else algorithm.digest_size
            signature = signer.key.sign(
                to_sign, padding.PSS(mgf=padding.MGF1(algorithm), salt_length=salt), algorithm
            )
            params = algos.RSASSAPSSParams(
                {
                    "hash_algorithm": {"algorithm": options.digest},
                    "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": options.digest}},
                    "salt_length": salt,
                }
            )
            signature_algorithm = {"algorithm": "rsassa_pss", "parameters": params}
        else:
            signature = signer.key.sign(to_sign, padding.PKCS1v15(), algorithm)
            oid_name = "rsassa_pkcs1v15" if options.bare_signature_oid else f"{options.digest}_rsa"
            signature_algorithm = {"algorithm": oid_name}
    else:
        assert isinstance(signer.key, ec.EllipticCurvePrivateKey)
        signature = signer.key.sign(to_sign, ec.ECDSA(algorithm))
        if options.scheme == "ecdsa-plain":
            r, s = decode_dss_signature(signature)
            size = (signer.key.curve.key_size + 7) // 8
            signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
            plain = {"sha1": 1, "sha224": 2, "sha256": 3, "sha384": 4, "sha512": 5}[options.digest]
            signature_algorithm = {"algorithm": f"0.4.0.127.0.7.1.1.4.1.{plain}"}
        elif options.bare_signature_oid:
            signature_algorithm = {"algorithm": "1.2.840.10045.2.1"}
        else:
            signature_algorithm = {"algorithm": f"{options.digest}_ecdsa"}
    cert = asn1_x509.Certificate.load(der(options.signer_cert or signer.cert))
    if options.sid == "ski":
        sid = cms.SignerIdentifier({"subject_key_identifier": cert.key_identifier})
    else:
        sid = cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
        )
    signer_info = cms.SignerInfo(
        {
            "version": "v3" if options.sid == "ski" else "v1",
            "sid": sid,
            "digest_algorithm": {"algorithm": options.digest},
            "signed_attrs": attrs,
            "signature_algorithm": signature_algorithm,
            "signature": signature,
        }
    )
    certificates = [cert] if options.include_certificate else []
    certificates += [asn1_x509.Certificate.load(der(c)) for c in options.extra_certificates]
    signed_data: dict[str, Any] = {
        "version": "v3",
        "digest_algorithms": [{"algorithm": options.digest}],
        "encap_content_info": {"content_type": content_type, "content": core.ParsableOctetString(content)},
        "signer_infos": [signer_info],
    }
    if certificates:
        signed_data["certificates"] = certificates
    return bytes(
        cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)}).dump()
    )


def lds_security_object(
    data_groups: Mapping[int, bytes], hash_name: str = "sha256", *, hash_oid: str | None = None
) -> bytes:
    hashes_ = [
        {"number": n, "hash": hashlib.new(hash_name, data).digest()}
        for n, data in sorted(data_groups.items())
    ]
    return bytes(
        _LdsSecurityObject(
            {
                "version": 0,
                "hash_algorithm": {"algorithm": hash_oid or _HASH_OIDS[hash_name]},
                "hashes": hashes_,
            }
        ).dump()
    )


def build_sod(
    data_groups: Mapping[int, bytes],
    signer: Issuer,
    options: SignOptions = SignOptions(),
    *,
    dg_hash: str = "sha256",
    hash_oid: str | None = None,
    wrap: bool = True,
) -> bytes:
    """EF.SOD: 0x77 { ContentInfo{SignedData{LDSSecurityObject}} } over `data_groups`."""
    content_info = sign_cms(
        LDS_OID, lds_security_object(data_groups, dg_hash, hash_oid=hash_oid), signer, options
    )
    return tlv(0x77, content_info) if wrap else content_info


# --- trust sources ----------------------------------------------------------------------------


def build_master_list(
    certificates: Sequence[x509.Certificate], signer: Issuer, options: SignOptions = SignOptions()
) -> bytes:
    content = _CscaMasterList(
        {"version": 0, "certs": [asn1_x509.Certificate.load(der(c)) for c in certificates]}
    ).dump()
    return sign_cms(MASTER_LIST_OID, bytes(content), signer, options)


def make_master_list_signer(csca: Issuer, label: str = "mls") -> Issuer:
    return make_ds(
        csca, label, key=ec_key(label), common_name="Master List Signer", serial=0x2001, usage="signer"
    )


def make_crl(
    csca: Issuer,
    revoked: Sequence[int] = (),
    *,
    this_update: datetime = NOW - timedelta(days=10),
    next_update: datetime = NOW + timedelta(days=80),
    signing_key: PrivateKey | None = None,
    pem_encoded: bool = False,
) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(csca.key.public_key()), critical=False
        )
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(NOW - timedelta(days=20))
            .build()
        )
    crl = builder.sign(signing_key or csca.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.PEM if pem_encoded else serialization.Encoding.DER)


# --- a whole chip ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chip:
    """What a reader got from one CCCD plus the issuer that made it."""

    sod: bytes
    data_groups: dict[int, bytes]
    csca: Issuer
    ds: Issuer
    aa_key: PrivateKey | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def default_pki() -> tuple[Issuer, Issuer]:
    csca = _default_csca()
    return csca, _default_ds()


@cache
def _default_csca() -> Issuer:
    return make_csca()


@cache
def _default_ds() -> Issuer:
    return make_ds(_default_csca())


def make_chip(
    *,
    csca: Issuer | None = None,
    ds: Issuer | None = None,
    options: SignOptions = SignOptions(),
    dg_hash: str = "sha256",
    citizen: Citizen = CITIZEN,
    with_dg2: bool = True,
    aa: Literal["none", "rsa", "ec"] = "none",
    sod_groups: Mapping[int, bytes] | None = None,
) -> Chip:
    """A consistent chip: DG1, DG13 (and DG2, DG14/DG15 for AA) hashed into a signed EF.SOD.

    `sod_groups` overrides what the SOD hashes (to build chips whose reads differ from the SOD).
    """
    if csca is None or ds is None:
        csca, ds = default_pki()
    groups: dict[int, bytes] = {1: dg1(td1_lines(citizen)), 13: dg13(dg13_fields(citizen))}
    if with_dg2:
        groups[2] = dg2()
    aa_key: PrivateKey | None = None
    if aa == "rsa":
        aa_key = rsa_key("aa-rsa", 1024)
        groups[15] = dg15(aa_key.public_key())
    elif aa == "ec":
        aa_key = ec_key("aa-ec")
        groups[14] = dg14(ECDSA_PLAIN_SHA256)
        groups[15] = dg15(aa_key.public_key())
    sod = build_sod(sod_groups if sod_groups is not None else groups, ds, options, dg_hash=dg_hash)
    return Chip(sod, groups, csca, ds, aa_key)


def with_group(chip: Chip, number: int, data: bytes) -> Chip:
    """The same chip with one data group replaced as read (the SOD is unchanged)."""
    return replace(chip, data_groups={**chip.data_groups, number: data})
