from pathlib import Path

import pytest

from verifier.settings import Settings


def test_defaults_then_environment_then_overrides() -> None:
    env = {"KAFKA_BOOTSTRAP": "k:1", "BHYT_TOPIC_PARTITIONS": "12", "BHYT_FACILITIES_FILE": "/x.csv"}
    s = Settings.from_env(env, topic_partitions=3)
    assert s.kafka_bootstrap == "k:1"
    assert s.topic_partitions == 3
    assert s.facilities_file == Path("/x.csv")
    assert s.redis_url == Settings().redis_url


def test_unreadable_number_names_the_setting() -> None:
    with pytest.raises(ValueError, match="topic_partitions"):
        Settings.from_env({"BHYT_TOPIC_PARTITIONS": "many"})


def test_to_env_round_trips() -> None:
    s = Settings(kafka_bootstrap="a:1,b:2", topic_partitions=9, publish_timeout_s=2.5, worker_id="w1")
    assert Settings.from_env(s.to_env()) == s
