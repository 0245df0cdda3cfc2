"""A kiosk / app / admin client over a real gRPC channel, for tests."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev


class Client:
    def __init__(self, target: str) -> None:
        self.channel = grpc.insecure_channel(target)
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
        request = api.VerifyCardRequest(card_number=card_number, facility_id=facility_id, kiosk_id=kiosk_id)
        return self.checkin.VerifyCard(request, timeout=15)

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
