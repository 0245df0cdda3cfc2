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

    def enroll(self, card_number: str, **fields: object) -> api.EventRecorded:
        request = api.EnrollParticipantRequest(
            card_number=card_number,
            full_name=str(fields.get("full_name", "Nguyễn Văn An")),
            date_of_birth=str(fields.get("date_of_birth", "1990-05-01")),
            gender=ev.GENDER_MALE,
            registered_facility=str(fields.get("registered_facility", "40-C54")),
            valid_from=str(fields.get("valid_from", "2020-01-01")),
            valid_to=str(fields.get("valid_to", "2099-12-31")),
            personal_id=str(fields.get("personal_id", "")),
        )
        return self.participation.EnrollParticipant(request, timeout=15)

    def verify(
        self, card_number: str, facility_id: str = "40-001", kiosk_id: str = "kiosk-1"
    ) -> api.CheckInDecision:
        request = api.VerifyCardRequest(card_number=card_number, facility_id=facility_id, kiosk_id=kiosk_id)
        return self.checkin.VerifyCard(request, timeout=15)

    def status(self, card_number: str) -> api.CardStatus:
        return self.cards.GetCardStatus(api.GetCardStatusRequest(card_number=card_number), timeout=5)
