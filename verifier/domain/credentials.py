"""What a patient presented, and how strongly it proves itself genuine."""

from __future__ import annotations

from enum import StrEnum


class Credential(StrEnum):
    CARD_NUMBER = "card_number"
    DIGITAL_TOKEN = "digital_token"
    LEGACY_QR = "legacy_qr"
    CHIP_ID = "chip_id"
    CCCD_QR = "cccd_qr"  # the chip ID card's printed QR: plain text, unsigned
    HIS_LOOKUP = "his_lookup"  # a hospital information system's card check through the VSS gateway contract


class Assurance(StrEnum):
    """Independent of the card's status: an accepted typed number is still unauthenticated."""

    UNAUTHENTICATED = "unauthenticated"  # typed, or the unsigned QR: anyone could have forged it
    SIGNED_TOKEN = "signed_token"  # a digital card token whose signature, key and times verified
    CHIP_PASSIVE = "chip_passive"  # chip data proven genuine (passive authentication)
    CHIP_ACTIVE = "chip_active"  # ... and the chip itself genuine (active authentication)
