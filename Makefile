# Everything a fresh clone needs: `make test` installs the virtualenv and the JVM jars itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JARS_DIR := $(abspath $(or $(KAFKA_STREAM_JARS_DIR),.cache/jars))
SPARK_JARS := $(JARS_DIR)/spark/.resolved
POM := spark-conf/pom.xml
BENCH_STAMP := $(VENV)/.bench-installed
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON ?= $(abspath $(PY))

.PHONY: setup venv jars jvm-archive test test-fast test-loaded lint format demo bench package wheel clean

setup: venv jars  ## virtualenv + packages + JVM jars (quick when already done)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v java >/dev/null || { echo "error: Java 17+ is required (apt-get install openjdk-17-jdk)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

jars: venv $(SPARK_JARS)  ## the job's jars (.cache/jars/spark), then the harness's (~/.cache/kafka-utils, or $$KAFKA_UTILS_JARS_DIR)
	@$(PY) -m kafka_utils.jars

# The job's jars (jobs/io/jars.py reads them): resolved again when the pom changes; the stamp
# holds the pom's SHA-256 so that a cache resolved from another pom is never taken.
$(SPARK_JARS): $(POM)
	@command -v mvn >/dev/null || { echo "error: Maven (mvn) is needed once to fetch the JVM jars (apt-get install maven)"; exit 1; }
	rm -rf $(JARS_DIR)/spark
	mvn -q -B -Dstyle.color=never -f $(POM) -P spark-jars dependency:copy-dependencies -DoutputDirectory=$(JARS_DIR)/spark
	sha256sum $(POM) | cut -d' ' -f1 > $@

# The suite's Spark JVMs share a class-data archive of what a job loads (tests/spark_jvm.py):
# one short demo run builds it in .cache/cds when the JDK, pyspark or the jars change.
jvm-archive: setup  ## the class-data archive of the suite's Spark JVMs (.cache/cds)
	@$(PY) -m tests.spark_jvm

# The suite runs in WORKERS pytest-xdist processes, each with its own broker and SparkSession;
# a test file stays on one worker (--dist loadfile), so module fixtures run once, and files go
# out in the order tests/conftest.py sorts them (the longest first). Coverage runs
# around it all (pyproject's [tool.coverage]); COVERAGE_FILE is absolute so that subprocesses
# started elsewhere (a job, spark-submit) write beside it. PYTEST_ARGS adds pytest options.
WORKERS ?= 2
DIST := --dist loadfile --no-loadscope-reorder
PYTEST_ARGS ?=
LOADED_SCALE ?= 4
export COVERAGE_FILE := $(CURDIR)/.coverage
SUITE = $(PY) -m coverage erase; status=0; \
	$(PY) -m coverage run -m pytest -n $(WORKERS) $(DIST) $(1) $(PYTEST_ARGS) || status=$$?; \
	$(PY) -m coverage combine -q; $(PY) -m coverage report $(2) || { code=$$?; [ $$status -ne 0 ] || status=$$code; }; \
	exit $$status

test: setup jvm-archive  ## the whole suite with line and branch coverage (fails under [tool.coverage.report] fail_under)
	@$(call SUITE,,)

test-fast: setup jvm-archive  ## the inner loop: no e2e and no slow tests, without coverage's tracing
	$(PY) -m pytest -n $(WORKERS) $(DIST) -m "not e2e and not slow" $(PYTEST_ARGS)

# Both cores kept busy by two busy loops at normal priority while the suite runs with every
# deadline stretched LOADED_SCALE times; the loops stop with the target, however it ends.
test-loaded: setup jvm-archive  ## the whole suite on a machine kept busy, deadlines x LOADED_SCALE
	@busy=""; for i in 1 2; do (while :; do :; done) & busy="$$busy $$!"; done; \
	trap 'kill $$busy 2>/dev/null' EXIT INT TERM; echo "busy loops:$$busy"; \
	export KAFKA_UTILS_TIME_SCALE=$(LOADED_SCALE); $(call SUITE,,)

demo: setup  ## the job end to end on an embedded broker: sample data → tables → summary
	$(PY) -m jobs.demo

bench: setup $(BENCH_STAMP)  ## throughput, latency, memory, scaling in one run → docs/BENCHMARKS.md (≈ 30 min)
	$(PY) -m benchmarks.run

$(BENCH_STAMP): pyproject.toml
	$(PY) -m pip install -q --disable-pip-version-check -e '.[bench]'
	@touch $@

package: setup  ## dist/: the jobs zip, main file and jar lists for spark-submit (docs/SPARK_SUBMIT.md)
	$(PY) -m tools.package

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
