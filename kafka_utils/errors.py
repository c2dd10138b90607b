"""One root exception for the harness, and small subclasses a caller can catch."""


class KafkaUtilsError(RuntimeError):
    """Root of every error raised by kafka_utils."""


class NotSetUpError(KafkaUtilsError):
    """A KafkaUtils method was called before ``setup()`` (or after ``teardown()``)."""


class JarsUnavailableError(KafkaUtilsError):
    """Maven or Java is missing, or the jars could not be resolved."""


class BrokerStartError(KafkaUtilsError):
    """A broker did not come up; the message carries its last log lines."""


class BackendUnavailableError(KafkaUtilsError):
    """The asked-for backend cannot run here (no Docker engine, no bootstrap servers...)."""


class QueryFailedError(AssertionError):
    """A streaming query died while a test was waiting on it."""
