"""The use cases, over the ports: check-in (one pipeline for every way in), the chip ID,
card tokens, enrolment, signing keys and the misuse alerts. No gRPC, Kafka or Redis here."""
