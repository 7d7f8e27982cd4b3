# brandpulse: `make demo` runs the pipeline on the offline sample data, `make test` runs the tests.
# Both create .venv and install everything first (torch pinned to the CPU build before the rest).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-deps lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check uv
	# Bytecode compiled now: Prefect's server alone is ~1,500 modules, compiled on every start where nothing may
	# write .pyc files (PYTHONDONTWRITEBYTECODE, read-only installs); pip compiles by default, uv only when asked.
	$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) -e '.[dev]' || $(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	DO_NOT_TRACK=1 $(VENV)/bin/brandpulse run

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) lint test-deps
	DO_NOT_TRACK=1 $(PY) -m pytest -q

# The report's browser test opens it in headless Chromium with Korean fonts, and the DuckLake end-to-end test
# starts a throwaway PostgreSQL: Debian packages, installed here when missing (as root), otherwise the command to
# run is printed and make stops.
TEST_DEBS := chromium chromium-driver fonts-noto-cjk postgresql
test-deps:
	@if dpkg -s $(TEST_DEBS) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(TEST_DEBS); \
	else \
		echo "make test needs Debian packages for the report browser test and the DuckLake test: sudo apt-get install -y --no-install-recommends $(TEST_DEBS)" >&2; \
		exit 1; \
	fi

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
