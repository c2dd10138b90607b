"""``make demo``: an embedded broker, sample data, the job, a report (``python -m jobs.demo``).

Not shipped with the job (``make package`` leaves it out): it starts KafkaUtils' embedded broker,
the one place ``jobs`` imports the harness."""
