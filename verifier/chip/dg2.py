"""EF.DG2: the face image (ICAO 9303-10 §4.7.2; ISO/IEC 19794-5 facial record).

Structure: 0x75 { 0x7F61 biometric information group { 0x02 count, 0x7F60 template { 0xA1 header,
0x5F2E (or 0x7F2E) biometric data block } } }. The data block is an ISO/IEC 19794-5 'FAC' record
whose image is JPEG or JPEG 2000. We read the record header for the image offset and length and
confirm the image signature; if the header is not the 2005 layout, we fall back to the first image
signature in the block. The image is biometric data: return it, never log or store it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from verifier.chip.codes import DG_MALFORMED
from verifier.chip.errors import ChipError
from verifier.chip.tlv import find_first, unwrap

DG2_TAG = 0x75
_DATA_BLOCK_TAGS = frozenset({0x5F2E, 0x7F2E})
_JPEG = b"\xff\xd8\xff"
_JP2 = b"\x00\x00\x00\x0c\x6a\x50\x20\x20"  # JPEG 2000 file signature box
_J2K = b"\xff\x4f\xff\x51"  # JPEG 2000 codestream SOC + SIZ


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    JPEG2000 = "jpeg2000"  # JP2 file format
    JPEG2000_CODESTREAM = "j2k"


@dataclass(frozen=True)
class FaceImage:
    format: ImageFormat
    data: bytes = field(repr=False)  # biometric: never in repr, logs or events
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)


def parse_dg2(data: bytes) -> FaceImage:
    """EF.DG2 → the first face image; no image or an unknown format is C10."""
    value = unwrap(data, DG2_TAG, what="DG2")
    block = find_first(value, _DATA_BLOCK_TAGS, what="DG2")
    if block is None:
        raise ChipError(DG_MALFORMED, "DG2: no biometric data block (0x5F2E/0x7F2E)")
    record = block.value
    from_header = _from_iso19794_5(record)
    if from_header is not None:
        return from_header
    starts = [i for i in (record.find(_JPEG), record.find(_JP2), record.find(_J2K)) if i >= 0]
    image = record[min(starts) :] if starts else b""
    kind = _format(image)
    if kind is not None:
        return FaceImage(kind, image)
    raise ChipError(DG_MALFORMED, "DG2: no JPEG or JPEG 2000 image in the biometric data block")


def _from_iso19794_5(record: bytes) -> FaceImage | None:
    """ISO/IEC 19794-5:2005 §5.4-5.7: 14-byte general header, 20-byte facial information,
    8 bytes per feature point, 12-byte image information, then the image."""
    if len(record) < 46 or record[0:4] != b"FAC\x00" or record[4:8] != b"010\x00":
        return None
    block_length = int.from_bytes(record[14:18], "big")
    feature_points = int.from_bytes(record[18:20], "big")
    info = 34 + 8 * feature_points
    start = info + 12
    if start >= len(record):
        return None
    width = int.from_bytes(record[info + 2 : info + 4], "big")
    height = int.from_bytes(record[info + 4 : info + 6], "big")
    end = 14 + block_length
    image = record[start:end] if start < end <= len(record) else record[start:]
    kind = _format(image)
    if kind is None:
        return None
    return FaceImage(kind, image, width or None, height or None)


def _format(image: bytes) -> ImageFormat | None:
    if image.startswith(_JPEG):
        return ImageFormat.JPEG
    if image.startswith(_JP2):
        return ImageFormat.JPEG2000
    if image.startswith(_J2K):
        return ImageFormat.JPEG2000_CODESTREAM
    return None
