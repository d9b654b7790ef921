# saring: `make demo` and `make test` work on a fresh machine with python3, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint eval bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,ray]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/saring demo --output out/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests eval benchmarks scripts

test: lint
	$(BIN)/python -m pytest -q

eval: $(STAMP)
	@for script in eval/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) out build dist src/*.egg-info
