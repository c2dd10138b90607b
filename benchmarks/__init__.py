"""Benchmarks of the streaming job beside Spark's ceilings and a hand-written consumer.

``make bench`` (``python -m benchmarks.run``) measures everything in one run on one embedded
broker and writes ``docs/BENCHMARKS.md`` with a PNG plot.
"""
