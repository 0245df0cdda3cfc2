"""The one check-in step: a presented credential, the participant record (or its absence), the
station and the day -> the verdict, and the subject the check-in is recorded under.

Every way in (a typed number, a CCCD number, a digital card token, the legacy QR, a chip read, and
the re-check of a provisional check-in) first turns its input into a `Presented` (its own parser),
then comes here. So the rules that decide a verdict are written once: the card rules
(`judge_card`), the identity claim, the stale CCCD index, the unknown card (050), a child found by
personal number without a card (130), the credential's own problems before the card's, and the
provisional verdict when the record cannot be read.

Pure: no clock (the day is an argument), no I/O. The service layer finds the record (`lookup`
says where) and records the decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from verifier.domain.card_number import CardNumber, CardNumberProblem, parse_card_number
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Participation
from verifier.domain.verdicts import CardCheck, Decision, Verdict, judge_card, with_credential_problems

NOBODY_HOLDS_PERSONAL_ID = "no participant holds this personal id"


class Unreadable(Enum):
    """The participation record could not be read (the read model is down)."""

    RECORD = "record"


RECORD_UNREADABLE = Unreadable.RECORD
Record = Participation | None | Unreadable


def card_or_problem(text: str) -> CardNumber | CardNumberProblem:
    """A number that does not parse is a verdict (its VSS code), not an error."""
    try:
        return parse_card_number(text)
    except CardNumberProblem as problem:
        return problem


def unknown_card_subject(presented: str) -> str:
    """The subject a check-in is kept under when it names no participant we know."""
    return f"card:{presented}"


@dataclass(frozen=True)
class CardLookup:
    """Where the participant record is: by the card number presented, or by a CCCD number through
    the index (whose entry may be stale: the record must still hold that CCCD number)."""

    number: CardNumber | CardNumberProblem | None = None
    personal_id: str = ""

    @property
    def social_insurance_number(self) -> str:
        """The record to read directly; "" when the index must be asked (or nothing can be read)."""
        return self.number.social_insurance_number if isinstance(self.number, CardNumber) else ""


@dataclass(frozen=True)
class Presented:
    """What one credential, parsed and checked on its own terms, says.

    `lookup` is None when the credential names no card that may be judged: unreadable, unsigned
    where a signature was needed, or a chip read that failed authentication (a forged DG13 must
    not put its check-in on a real person's record). `problems` are the credential's own codes
    (T.., C.., F.., P02, Q..), which come before the card's and reject. `authentic`: the credential
    proved itself genuine (a valid signature, a passively authenticated chip), so when the record
    cannot be read the patient is admitted provisionally; otherwise there is no verdict at all.
    """

    credential: Credential
    text: str  # recorded as the presented number: the card number, the CCCD number, "" if unreadable
    subject: str  # the event key when no participant is judged
    lookup: CardLookup | None = None
    claim: IdentityClaim = field(default_factory=IdentityClaim)
    problems: tuple[str, ...] = ()
    detail: str = ""
    assurance: Assurance = Assurance.UNAUTHENTICATED
    authentic: bool = False


def judge_check_in(
    presented: Presented, record: Record, *, today: date, facility_to_match: str = ""
) -> Decision:
    """The verdict. `record` is what the service read where `presented.lookup` said (None: nobody;
    RECORD_UNREADABLE: the read model is down), `today` the check-in's Vietnam calendar day,
    `facility_to_match` the kiosk's facility when the request asks for the 090 check."""
    lookup = presented.lookup
    card: Decision | None = None
    if lookup is not None:
        if isinstance(record, Unreadable):
            if not presented.authentic:
                raise ValueError("an unauthenticated credential has no verdict without its record")
            card = Decision.provisional()
        else:
            holder = _holder(lookup, record)
            card = judge_card(
                CardCheck(
                    _number(lookup, holder),
                    holder,
                    today,
                    claim=presented.claim,
                    facility_to_match=facility_to_match,
                    by_personal_id=lookup.number is None and bool(lookup.personal_id),
                )
            )
    if card is not None and not presented.problems and not presented.detail:
        return card
    return with_credential_problems(list(presented.problems), card, presented.detail)


def check_in_subject(presented: Presented, decision: Decision) -> str:
    """Whom the check-in event is keyed by (one person's events stay in one partition): the person
    judged, else the card number presented, else the credential's own catch-all subject."""
    if decision.participant is not None:
        return decision.participant.social_insurance_number
    lookup = presented.lookup
    if lookup is not None and not lookup.personal_id and lookup.social_insurance_number:
        return lookup.social_insurance_number
    return presented.subject


def named_person(presented: Presented, decision: Decision) -> str:
    """Whom an authentic credential names when no record could be read (a provisional verdict), so
    the re-check knows whom to judge; a chip is found again through its CCCD number instead."""
    if decision.verdict is not Verdict.PROVISIONAL or decision.participant is not None:
        return ""
    lookup = presented.lookup
    return lookup.social_insurance_number if lookup is not None and not lookup.personal_id else ""


def _holder(lookup: CardLookup, record: Participation | None) -> Participation | None:
    if lookup.personal_id and record is not None and record.personal_id != lookup.personal_id:
        return None  # a stale index entry: the record no longer holds this CCCD number
    return record


def _number(lookup: CardLookup, holder: Participation | None) -> CardNumber | CardNumberProblem:
    """The card number judged: as presented, or the one of whoever holds the CCCD number."""
    if lookup.number is not None:
        return lookup.number
    if holder is None:
        return CardNumberProblem("050", NOBODY_HOLDS_PERSONAL_ID)
    return CardNumber(social_insurance_number=holder.social_insurance_number)
