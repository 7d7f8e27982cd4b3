# brandpulse: `make demo` runs the pipeline on the offline sample data, `make test` runs the tests.
# Both create .venv and install everything first (torch pinned to the CPU build before the rest).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install -q --python $(PY) -e '.[dev]' || $(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	DO_NOT_TRACK=1 $(VENV)/bin/brandpulse run

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) lint
	DO_NOT_TRACK=1 $(PY) -m pytest -q

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
