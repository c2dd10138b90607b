"""Settings of each job (stream, replay, audit), their command lines, and the value parsers
and flag groups they share. Imports ``jobs.core`` only."""
