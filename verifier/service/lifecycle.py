"""The card lifecycle use cases for VSS staff: read the record, decide, record the fact.

Idempotent under the client's request id, in two layers:
- the event id is derived from the command, the person and the request id (UUID5), and what the
  command was answered is kept under it (`CommandReceipts`): a retry gets the first answer again
  and records nothing, even after later commands changed the record;
- should the receipt be missing (Redis lost it, or two copies of one request raced), the retry is
  judged again and records the same fact under the same id; a change the record already shows is
  accepted (`verifier.domain.lifecycle`), and every lifecycle change sets a state, so folding it
  twice leaves the record as once.

The record is read from the participation projection, so it is as fresh as the projection: a
command right after another on the same person may be judged against the state before it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import timedelta

from verifier.domain.calendar import vietnam_date
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.lifecycle import Command, World, decide, subject_of
from verifier.errors import BadRequest, ReadModelUnavailable
from verifier.events.facts import lifecycle_fact
from verifier.ports import CommandReceipts, EventLog, ReadModel, Receipt
from verifier.service.pipeline import Clock

log = logging.getLogger(__name__)
MAX_REQUEST_ID_LENGTH = 100
RECEIPT_LIFETIME = timedelta(days=7)  # far beyond any retry of a timed-out call
# Namespace of the event ids of staff commands (uuid5 over "<command>:<person>:<client request id>").
_NAMESPACE = uuid.UUID("0b6f3c1e-5d2a-4f0e-9c55-1e4b2a7d9f30")


def command_event_id(command: Command, social_insurance_number: str, client_request_id: str) -> str:
    """The same command for the same person under the same request id always gets the same id."""
    name = f"{type(command).__name__}:{social_insurance_number}:{client_request_id}"
    return str(uuid.uuid5(_NAMESPACE, name))


def fingerprint(command: Command) -> str:
    """The command as given (every field): a request id reused for another command is told apart."""
    return hashlib.sha256(repr(command).encode()).hexdigest()[:32]


class CardLifecycle:
    def __init__(
        self,
        *,
        read_model: ReadModel,
        event_log: EventLog,
        receipts: CommandReceipts,
        facilities: FacilityRegistry,
        clock: Clock,
    ) -> None:
        self._read_model = read_model
        self._log = event_log
        self._receipts = receipts
        self._facilities = facilities
        self._clock = clock

    async def handle(self, command: Command, *, client_request_id: str) -> Receipt:
        """Record `command` once it is judged valid against the current record; answer only once
        its event is durable. BadRequest / LifecycleRefused / NotFound: nothing recorded."""
        request_id = client_request_id.strip()
        if not request_id or len(request_id) > MAX_REQUEST_ID_LENGTH:
            raise BadRequest(
                f"client_request_id: bắt buộc, 1-{MAX_REQUEST_ID_LENGTH} ký tự "
                f"(required, 1-{MAX_REQUEST_ID_LENGTH} characters)"
            )
        sin = subject_of(command)
        event_id = command_event_id(command, sin, request_id)
        given = fingerprint(command)
        kept = await self._receipts.recall(event_id)
        if kept is not None:
            if kept.fingerprint != given:
                raise BadRequest(
                    "client_request_id: mã yêu cầu này đã dùng cho một lệnh khác "
                    "(already used for a different command; use a new one)"
                )
            return kept
        record = await self._read_model.participant(sin)
        at = self._clock()
        change = decide(command, record, World(vietnam_date(at), self._facilities))
        recorded = await self._log.append(lifecycle_fact(change, at=at, event_id=event_id))
        receipt = Receipt(event_id, recorded, given)
        try:
            await self._receipts.keep(receipt, int(RECEIPT_LIFETIME.total_seconds()))
        except ReadModelUnavailable as e:
            # The event is durable and the answer true; a retry is then judged again (see above).
            log.warning("command %s recorded, its receipt not kept: %s", event_id, e)
        return receipt
