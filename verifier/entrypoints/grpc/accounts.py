"""bhyt.v1.Accounts: accounts for the HIS gateway and the dashboard, and registered staff (role
admin). Thin: request -> use case -> answer; every change is an event, lists come from the
accounts projection, and no answer ever carries a password hash or a whole CCCD number."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.domain.accounts import StaffRecord, mask_personal_id
from verifier.entrypoints.grpc.mappers import answers_errors
from verifier.errors import NotConfigured
from verifier.service.accounts import AccountService, Written


def _recorded(written: Written) -> api.EventRecorded:
    where = written.recorded
    return api.EventRecorded(
        event_id=written.event_id, topic=where.topic, partition=where.partition, offset=where.offset
    )


def _staff_view(member: StaffRecord) -> api.StaffView:
    return api.StaffView(
        registry_id=member.registry_id,
        facility_id=member.facility_id,
        full_name=member.full_name,
        personal_id_masked=mask_personal_id(member.personal_id),
    )


class AccountsServicer(api_grpc.AccountsServicer):
    def __init__(self, accounts: AccountService | None) -> None:
        self._accounts = accounts

    @property
    def _service(self) -> AccountService:
        if self._accounts is None:
            raise NotConfigured("accounts are not served by this verifier")
        return self._accounts

    @answers_errors
    async def AddAccount(
        self, request: api.AddAccountRequest, context: grpc.aio.ServicerContext
    ) -> api.AccountCreated:
        added = await self._service.add_account(
            request.username, role=request.role, facility_id=request.facility_id, password=request.password
        )
        return api.AccountCreated(
            username=added.account.username,
            role=added.account.role.value,
            facility_id=added.account.facility_id,
            generated_password=added.generated_password,
            event_id=added.written.event_id,
        )

    @answers_errors
    async def DisableAccount(
        self, request: api.DisableAccountRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        return _recorded(await self._service.disable_account(request.username, reason=request.reason))

    @answers_errors
    async def ListAccounts(
        self, request: api.ListAccountsRequest, context: grpc.aio.ServicerContext
    ) -> api.AccountList:
        return api.AccountList(
            accounts=[
                api.AccountView(
                    username=a.username, role=a.role.value, facility_id=a.facility_id, disabled=a.disabled
                )
                for a in await self._service.accounts()
            ]
        )

    @answers_errors
    async def RegisterStaff(
        self, request: api.RegisterStaffRequest, context: grpc.aio.ServicerContext
    ) -> api.StaffView:
        member, _ = await self._service.register_staff(
            facility_id=request.facility_id, personal_id=request.personal_id, full_name=request.full_name
        )
        return _staff_view(member)

    @answers_errors
    async def RemoveStaff(
        self, request: api.RemoveStaffRequest, context: grpc.aio.ServicerContext
    ) -> api.EventRecorded:
        written = await self._service.remove_staff(
            facility_id=request.facility_id, registry_id=request.registry_id
        )
        return _recorded(written)

    @answers_errors
    async def ListStaff(
        self, request: api.ListStaffRequest, context: grpc.aio.ServicerContext
    ) -> api.StaffList:
        return api.StaffList(staff=[_staff_view(m) for m in await self._service.staff(request.facility_id)])
