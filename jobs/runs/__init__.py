"""One run of each command: the streaming query (and its resume from the ledger), a replay,
an audit. Imports ``jobs.config``, ``jobs.pipeline``, ``jobs.io`` and ``jobs.core``."""
