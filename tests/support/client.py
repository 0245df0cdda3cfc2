"""A kiosk / app / admin client over a real gRPC channel, for tests."""

from __future__ import annotations

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev

from verifier.client_channel import ClientTls, channel

STAFF_ID = "staff-1"


class Client:
    """`tls`: a client certificate (mTLS); None for a verifier run with the development plaintext flag,
    as most tests do (`isolated_settings` sets it). `own_connection`: not shared with the other
    clients of this process (gRPC shares one connection between channels alike by default), as a
    kiosk on its own machine has."""

    def __init__(self, target: str, tls: ClientTls | None = None, *, own_connection: bool = False) -> None:
        options = [("grpc.use_local_subchannel_pool", 1)] if own_connection else []
        self.channel = channel(target, tls, options)
        self.checkin = api_grpc.CheckInStub(self.channel)
        self.cards = api_grpc.CardsStub(self.channel)
        self.participation = api_grpc.ParticipationStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def enroll(self, card_number: str, **fields: str) -> api.EventRecorded:
        request = enrollment(card_number, gender=ev.GENDER_MALE, **fields)
        return self.participation.EnrollParticipant(request, timeout=15)

    def verify(
        self, card_number: str, facility_id: str = "40-001", kiosk_id: str = "kiosk-1"
    ) -> api.CheckInDecision:
        request = api.VerifyCardRequest(
            card_number=card_number, facility_id=facility_id, kiosk_id=kiosk_id, staff_id=STAFF_ID
        )
        return self.checkin.VerifyCard(request, timeout=15)

    def scan(
        self, scanned: str, facility_id: str = "40-001", kiosk_id: str = "kiosk-1"
    ) -> api.CheckInDecision:
        """A scanner's text as is: a digital card token or a legacy QR."""
        request = api.VerifyScanRequest(
            scanned=scanned, facility_id=facility_id, kiosk_id=kiosk_id, staff_id=STAFF_ID
        )
        return self.checkin.VerifyScan(request, timeout=15)

    def verify_chip(
        self,
        sod: bytes,
        data_groups: dict[int, bytes],
        *,
        face_match: api.FaceMatch | None = None,
        facility_id: str = "40-001",
        kiosk_id: str = "kiosk-1",
    ) -> api.CheckInDecision:
        """A chip read with passive authentication only (no challenge session)."""
        request = api.VerifyChipRequest(
            facility_id=facility_id,
            kiosk_id=kiosk_id,
            staff_id=STAFF_ID,
            sod=sod,
            data_groups=data_groups,
            face_match=face_match,
        )
        return self.checkin.VerifyChip(request, timeout=15)

    def status(self, card_number: str) -> api.CardStatus:
        return self.cards.GetCardStatus(api.GetCardStatusRequest(card_number=card_number), timeout=5)


def enrollment(
    card_number: str, *, gender: ev.Gender = ev.GENDER_MALE, **fields: str
) -> api.EnrollParticipantRequest:
    """A participant valid from 2020 for good; `fields` override any other request field."""
    values = {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-01",
        "registered_facility": "40-C54",
        "valid_from": "2020-01-01",
        "valid_to": "2099-12-31",
        **fields,
    }
    return api.EnrollParticipantRequest(card_number=card_number, gender=gender, **values)
