"""Errors that mean "this request could not be judged" (a rejected card is a verdict, not an error).

Each class names the gRPC status it maps to; the mapping happens in one place
(`verifier.entrypoints.grpc.mappers`), so the core never imports grpc.
"""

from __future__ import annotations


class VerifierError(Exception):
    """Base of every error this package raises on purpose."""

    grpc_status = "INTERNAL"
    code = "500"  # VSS "server error"


class BadRequest(VerifierError):
    """The request is malformed: nothing was judged, nothing was recorded."""

    grpc_status = "INVALID_ARGUMENT"
    code = "205"  # VSS "bad parameter format"


class UnknownFacility(BadRequest):
    """The facility id is not in the facility registry."""


class EventLogUnavailable(VerifierError):
    """The event could not be made durable, so no verdict may be given (retry later)."""

    grpc_status = "UNAVAILABLE"
    code = "101"


class ReadModelUnavailable(VerifierError):
    """The participation projection (Redis) cannot be read."""

    grpc_status = "UNAVAILABLE"
    code = "101"


class Unauthenticated(VerifierError):
    """The caller proved no identity we accept (no client certificate, or a revoked one)."""

    grpc_status = "UNAUTHENTICATED"
    code = "401"  # VSS "authentication failed"


class PermissionDenied(VerifierError):
    """The caller is known but may not do this: a role calling another role's method, or a kiosk
    asking for another facility than its certificate names."""

    grpc_status = "PERMISSION_DENIED"
    code = "403"


class NotFound(VerifierError):
    """The subject of the request is unknown (e.g. a token asked for a participant nobody enrolled)."""

    grpc_status = "NOT_FOUND"
    code = "050"  # VSS "no card information"


class NotConfigured(VerifierError):
    """This verifier lacks what the request needs (e.g. no usable signing key): fix the deployment."""

    grpc_status = "FAILED_PRECONDITION"
    code = "500"
