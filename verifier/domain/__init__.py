"""The pure core: card numbers, participation records, verdict rules. No I/O, no clocks, no grpc."""
