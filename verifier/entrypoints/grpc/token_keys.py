"""bhyt.v1.TokenKeys: the card-token signing keys an administrator lists, trusts, revokes, reloads."""

from __future__ import annotations

import grpc
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from verifier.entrypoints.grpc.mappers import answers_errors
from verifier.events.envelopes import timestamp
from verifier.service.keys import KeyAdmin
from verifier.tokens.authority import KeyView


class TokenKeysServicer(api_grpc.TokenKeysServicer):
    def __init__(self, admin: KeyAdmin) -> None:
        self._admin = admin

    @answers_errors
    async def ListSigningKeys(
        self, request: api.ListSigningKeysRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyList:
        return api.SigningKeyList(keys=[signing_key_info(v) for v in self._admin.signing_keys()])

    @answers_errors
    async def TrustSigningKey(
        self, request: api.TrustSigningKeyRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyInfo:
        return signing_key_info(await self._admin.trust(request.certificate, request.reason))

    @answers_errors
    async def RevokeSigningKey(
        self, request: api.RevokeSigningKeyRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyInfo:
        return signing_key_info(await self._admin.revoke(request.kid, request.reason))

    @answers_errors
    async def ReloadSigningKeys(
        self, request: api.ReloadSigningKeysRequest, context: grpc.aio.ServicerContext
    ) -> api.SigningKeyList:
        return api.SigningKeyList(keys=[signing_key_info(v) for v in self._admin.reload()])


def signing_key_info(view: KeyView) -> api.SigningKeyInfo:
    k = view.key
    return api.SigningKeyInfo(
        kid=k.kid_hex,
        subject=k.subject,
        alg=view.alg,
        not_before=timestamp(k.not_before),
        not_after=timestamp(k.not_after),
        revoked=view.revoked is not None,
        revocation_reason=view.revoked or "",
        issuing=view.issuing,
        source=k.source,
    )
