# Everything a fresh clone needs: `make test` installs the virtualenv and the JVM jars itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON ?= $(abspath $(PY))

.PHONY: setup venv jars test test-fast lint format demo bench package wheel clean

setup: venv jars  ## virtualenv + packages + JVM jars (quick when already done)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "error: Java 17+ is required (apt-get install openjdk-17-jdk)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

jars: venv  ## the JVM jars, into the per-user cache (~/.cache/kafka-utils, or $$KAFKA_UTILS_JARS_DIR)
	@$(PY) -m kafka_utils.jars

test: setup  ## the whole suite, against a real embedded Kafka broker
	$(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -m "not slow"

demo: setup  ## the job end to end on an embedded broker: sample data → tables → summary
	$(PY) -m jobs.demo

bench: setup $(BENCH_STAMP)  ## throughput, latency, memory, scaling in one run → docs/BENCHMARKS.md (≈ 30 min)
	$(PY) -m benchmarks.run

$(BENCH_STAMP): pyproject.toml
	$(PY) -m pip install -q --disable-pip-version-check -e '.[bench]'
	@touch $@

package: setup  ## dist/: the jobs zip, main file and jar lists for spark-submit (docs/SPARK_SUBMIT.md)
	$(PY) -m jobs.package

wheel: venv  ## dist/kafka_stream-*.whl: the job and KafkaUtils, to pip install into another project
	$(PY) -m pip wheel -q --disable-pip-version-check --no-deps -w dist .

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .cache dist build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
