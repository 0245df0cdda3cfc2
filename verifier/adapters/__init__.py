"""Adapters around the core: gRPC, Kafka, Redis, files. The only modules that do I/O."""
