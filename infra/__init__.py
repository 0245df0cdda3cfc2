"""Infrastructure helpers: the local Kafka and Redis the project runs against without Docker."""
