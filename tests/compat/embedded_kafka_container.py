"""testcontainers' ``KafkaContainer``, played by a broker the test has started already.

PySpark's helper starts ``testcontainers.kafka.KafkaContainer``; this machine has no Docker
engine. Importing this module puts a stand-in under that name, with the three methods the
helper calls, whose broker is the one at ``$KAFKA_BOOTSTRAP_SERVERS`` (our embedded broker,
started by the calling test): PySpark's helper runs unchanged against a real Kafka broker.
"""

import os
import sys
import types


class KafkaContainer:
    def __init__(self, image: str = "confluentinc/cp-kafka:7.4.0", **_: object) -> None:
        self.image = image

    def start(self) -> "KafkaContainer":
        return self

    def get_bootstrap_server(self) -> str:
        return os.environ["KAFKA_BOOTSTRAP_SERVERS"]

    def stop(self, *_: object, **__: object) -> None:
        pass  # the broker belongs to the test that started it


module = types.ModuleType("testcontainers.kafka")
module.KafkaContainer = KafkaContainer
sys.modules["testcontainers.kafka"] = module
