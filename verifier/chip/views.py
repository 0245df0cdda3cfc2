"""Plain-dict views of parsed identity data for JSON (CLI) and, later, the gRPC edge.

Only what an operator may see: no ethnicity or religion (never parsed anyway), no image bytes
(format and size only), no raw data group bytes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from verifier.chip.dg2 import FaceImage
from verifier.chip.dg13 import PersonalData
from verifier.chip.identity import IdentityReport
from verifier.chip.mrz import Td1Mrz


def mrz_view(mrz: Td1Mrz, century: int | None) -> dict[str, Any]:
    birth = mrz.birth_date(century) if century is not None else None
    return {
        "document_code": mrz.document_code,
        "issuing_state": mrz.issuing_state,
        "document_number": mrz.document_number,
        "cccd_number": mrz.cccd_number,
        "name": mrz.name,
        "date_of_birth": _iso(birth) or mrz.birth_date_text,
        "sex": mrz.sex.replace("<", ""),
        "date_of_expiry": _iso(mrz.expiry_date) or mrz.expiry_date_text,
        "nationality": mrz.nationality,
    }


def personal_data_view(data: PersonalData) -> dict[str, Any]:
    return {
        "cccd_number": data.cccd_number,
        "full_name": data.full_name,
        "date_of_birth": _iso(data.date_of_birth) or data.date_of_birth_text,
        "gender": data.gender.value or data.gender_text,
        "nationality": data.nationality,
        "hometown": data.hometown,
        "place_of_residence": data.place_of_residence,
        "identifying_features": data.identifying_features,
        "date_of_issue": _iso(data.issue_date) or data.issue_date_text,
        "date_of_expiry": _iso(data.expiry_date) or data.expiry_date_text,
        "father_name": data.father_name,
        "mother_name": data.mother_name,
        "spouse_name": data.spouse_name,
        "old_id_number": data.old_id_number,
    }


def face_view(face: FaceImage) -> dict[str, Any]:
    return {"format": face.format.value, "size": face.size, "width": face.width, "height": face.height}


def identity_view(report: IdentityReport) -> dict[str, Any]:
    number = report.cccd_number
    century = number.century if number is not None else None
    return {
        "cccd_number": number.value if number is not None else None,
        "mrz": mrz_view(report.mrz, century) if report.mrz else None,
        "personal_data": personal_data_view(report.personal_data) if report.personal_data else None,
        "face_image": face_view(report.face_image) if report.face_image else None,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
