"""Bulk import of participants: CSV or JSON Lines rows -> enrollment events on the log.

See README "Bulk import" for the columns. Resumable and idempotent through checkpoints kept on a
compacted Kafka topic (`ImportCheckpointed`, keyed by the file's SHA-256).
"""
