"""Entry points: where requests come in from outside (the gRPC API); each parses the request, calls
a use case in `verifier.service` and maps its answer. The staff dashboard and the CLI are the
others (`verifier.dashboard`, `verifier.cli`)."""
