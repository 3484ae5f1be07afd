# Everything a fresh machine (Python 3.11, pip, make) needs is set up by these targets.
#   make demo   set up, then run the retraining DAG on the local SageMaker backend
#   make test   set up, then run the test suite
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup lint demo test test-unit test-integration airflow bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --all-extras --python $(PYTHON) --quiet
	touch $@

setup: $(VENV)/.synced

# STYLE.md, enforced: ruff's lint rules and formatter, and mypy on the package.
lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy airflow_sm_provider

test: setup
	bash scripts/run_tests.sh

test-unit: setup
	bash scripts/run_tests.sh tests/unit

test-integration: setup
	bash scripts/run_tests.sh tests/integration

demo: setup
	$(PY) scripts/demo.py

airflow: setup
	bash scripts/airflow_standalone.sh

bench: setup
	$(PY) bench/local_overhead.py
	$(PY) bench/import_cost.py
	$(PY) bench/triggerer_scale.py
	$(PY) bench/log_streaming.py

clean:
	rm -rf $(VENV) $(TOOLS) .demo .pytest_cache

# The unit tests and one dag.test() tune -> train on each supported Airflow minor (latest patch),
# each in its own venv under .compat/ (COMPAT_MINORS="3.0 3.2" for a subset).
.PHONY: test-compat clean-compat
test-compat: $(UV)
	PYTHON=$(PYTHON) bash scripts/test_compat.sh

clean-compat:
	rm -rf .compat

# The fault-injection suite (tests/chaos, marker `chaos`; not part of `make test`): throttling,
# 5xx, resets and lost responses under tune -> train, the backend and the triggerer killed
# mid-job, one of two triggerers of a real Airflow on PostgreSQL killed mid-wait, the security
# cases as attacks. Prints a table of counts; see scripts/run_chaos.sh.
# The two-triggerer case starts a PostgreSQL server of its own from Debian's postgresql package,
# installed here when missing (as root, with apt-get); without it that case is skipped.
.PHONY: test-chaos
test-chaos: setup
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing postgresql (apt-get) for the two-triggerer chaos case" >&2; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1 \
	    || echo "postgresql not installed: the two-triggerer chaos case will be skipped" >&2; \
	fi
	bash scripts/run_chaos.sh
