"""Everything that touches Spark, Delta, Kafka or the filesystem: the session and its jars,
schemas, sinks, table writes and reads, the checkpoint, Kafka clients, start-up checks, and the
one place Spark/JVM exceptions become the job's errors. Imports ``jobs.core`` only."""
