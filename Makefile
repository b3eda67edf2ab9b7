# Two commands do all the set-up on a fresh machine (see README.md):
#   make run   - venv, bundled sample data, main job, dashboards
#   make test  - venv, Debian packages the tests need, lint, types, full test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the test suite starts for real (installed only when missing).
DEB_PACKAGES := postgresql redis-server prometheus chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
COV_MIN := 85

.PHONY: run test venv debs lint clean

# The venv is (re)built when missing or older than pyproject.toml. torch goes in first, pinned,
# so no later requirement can pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name walmart --display-name "Walmart Grocery (venv)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

debs:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Load the sample (idempotent), show what is in the database, then serve until Ctrl-C.
run: $(STAMP)
	$(BIN)/walmart sample
	$(BIN)/walmart stats
	$(BIN)/walmart serve --port $${WALMART_PORT:-3000}

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy walmart_lib

test: $(STAMP) debs lint
	$(BIN)/python -m pytest --cov=walmart_lib --cov-report=term --cov-fail-under=$(COV_MIN)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov
