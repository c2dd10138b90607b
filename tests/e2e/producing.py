"""A producer that keeps writing sample records while a test crashes and restarts the job."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from jobs.demo.sample_data import SampleRecord, sample_records
from kafka_utils import Message
from kafka_utils.timing import scaled

START = datetime(2026, 11, 22, 9, tzinfo=UTC)
_RUNNING: list[ContinuousProducer] = []


class ContinuousProducer(threading.Thread):
    """Sends ``count`` sample records, ``per_send`` at a time every ``every`` seconds, until
    done or stopped; ``produced`` maps (partition, offset) to what was sent there."""

    def __init__(
        self,
        kafka_utils,
        topic: str,
        count: int,
        *,
        per_send: int = 20,
        every: float = 0.1,
        seed: int = 7,
        num_partitions: int = 3,
    ) -> None:
        super().__init__(daemon=True, name=f"producer-{topic}")
        self.kafka_utils = kafka_utils
        self.topic = topic
        self.records = sample_records(count, start=START, seed=seed, num_partitions=num_partitions)
        self.per_send = per_send
        self.every = every
        self.produced: dict[tuple[int, int], SampleRecord] = {}
        self.error: BaseException | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        _RUNNING.append(self)
        super().start()

    def run(self) -> None:
        try:
            for i in range(0, len(self.records), self.per_send):
                if self._stopping.is_set():
                    return
                batch = self.records[i : i + self.per_send]
                placed = self.kafka_utils.send_messages(
                    self.topic,
                    [Message(r.key, r.value, (), r.partition, r.timestamp_ms) for r in batch],
                )
                self.produced.update(zip(placed, batch, strict=True))
                self._stopping.wait(self.every)  # the pace of the producer, not a synchronisation
        except BaseException as e:  # surfaced by finish()
            self.error = e

    def finish(self) -> dict[tuple[int, int], SampleRecord]:
        """Stop sending, wait for the thread, and return what was produced."""
        self.stop()
        if self.error:
            raise self.error
        return self.produced

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=scaled(120))


def stop_leftover_producers() -> None:
    """Stop the producers a failed test left sending (to a broker the next tests share)."""
    while _RUNNING:
        _RUNNING.pop().stop()
