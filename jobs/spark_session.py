"""Transitional: ``kafka_utils``' pytest ``spark`` fixture and ``KafkaTestCase`` still import
``build_spark_session`` from here. They get a session of their own with the KafkaUtils work
(issue 11); this module goes when that is merged. The job's own code imports
``jobs.io.spark_session``."""

from __future__ import annotations

from jobs.io.spark_session import build_spark_session

__all__ = ["build_spark_session"]
