"""The ``foreachBatch`` pipeline: stamp the Kafka rows, run the processor record by record,
check its output rows, isolate poison pills, and write every table in order. Imports
``jobs.io`` and ``jobs.core``."""
