"""A face-match result, on whichever path it comes (typed number, scan, chip read): checked, judged
by the facility's threshold, and recorded before its check-in.

One module so the paths cannot drift apart: the same request checks (a bad field is BadRequest
naming it), the same policy (the facility's threshold, never the kiosk's), the same codes in the
verdict (F01 mismatch, F02 liveness failed: staff review), and the same `FaceMatchRecorded` event,
keyed like the check-in and appended before it, so the face projection and the monitor see every
comparison whatever was presented.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from verifier.domain.checkin import Presented
from verifier.domain.credentials import Credential
from verifier.domain.face_match import FaceJudgement, FaceMatchReport, FacePolicy
from verifier.domain.verdicts import Decision
from verifier.errors import BadRequest
from verifier.events.facts import FaceMatchRecorded
from verifier.service.pipeline import CheckIn

FaceFact = Callable[[Decision, str], FaceMatchRecorded]


def require_valid(report: FaceMatchReport | None) -> None:
    """BadRequest naming the first bad field; nothing to check when no face was compared."""
    if report is not None and (problem := report.problem()):
        raise BadRequest(problem)


@dataclass(frozen=True)
class FaceResult:
    """A kiosk's face-match report and the facility's judgement of it."""

    report: FaceMatchReport
    judgement: FaceJudgement

    @classmethod
    def judged(
        cls, policy: FacePolicy, report: FaceMatchReport | None, facility_id: str
    ) -> FaceResult | None:
        """The report judged by the facility's threshold (checked first); None when none was sent."""
        require_valid(report)
        return None if report is None else cls(report, policy.judge(report, facility_id))

    def applied_to(self, presented: Presented) -> Presented:
        """`presented` with the face's codes (F01, F02) among the credential's own problems."""
        return replace(presented, problems=(*presented.problems, *self.judgement.codes))

    def fact(self, check_in: CheckIn) -> FaceFact:
        """The FaceMatchRecorded event of `check_in`, built once the pipeline knows whom it judged."""

        def build(decision: Decision, subject: str) -> FaceMatchRecorded:
            person = decision.participant
            return FaceMatchRecorded(
                at=check_in.at,
                key=subject,
                check_in_id=check_in.check_in_id,
                report=self.report,
                judgement=self.judgement,
                social_insurance_number=person.social_insurance_number if person else "",
                personal_id=_personal_id(check_in.presented),
                station=check_in.station,
                credential=check_in.presented.credential,
            )

        return build


def facts_before(face: FaceResult | None, check_in: CheckIn) -> list[FaceFact]:
    """What goes on the log ahead of the check-in: the face result, when a face was compared."""
    return [face.fact(check_in)] if face is not None else []


def _personal_id(presented: Presented) -> str:
    """The CCCD number the check-in went by; a chip's even when its read failed (what it claimed)."""
    if presented.lookup is not None and presented.lookup.personal_id:
        return presented.lookup.personal_id
    return presented.text if presented.credential is Credential.CHIP_ID else ""
