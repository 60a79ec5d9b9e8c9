# Two commands: `make reproduce` and `make test`. Both need only python3 (>= 3.11) and make.
# `make notebook` adds Jupyter to the same environment and opens the tutorial notebook;
# `make app` adds the point-and-click app and opens it in the browser;
# `make docs` adds Sphinx and builds the documentation site into docs/_build/html.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= ovcfstats-output
# test workers (pytest-xdist): one per core; JOBS=0 runs the suite in one process
JOBS ?= auto

.PHONY: reproduce test notebook app lint bench clean mutants docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[export,files]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

reproduce: $(VENV)/.installed
	$(BIN)/ovcfstats reproduce --out $(OUT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check ovcfstats tests benchmarks tools
	MPLBACKEND=Agg $(BIN)/python -m pytest -n $(JOBS) --dist loadfile

$(VENV)/.installed-notebook: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[notebook]"
	touch $(VENV)/.installed $@

notebook: $(VENV)/.installed-notebook
	$(BIN)/jupyter lab notebooks/reproduce_paper.ipynb

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[app,export,files]"
	touch $(VENV)/.installed $@

app: $(VENV)/.installed-app
	$(BIN)/ovcfstats app

bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py

mutants: $(VENV)/.installed-test
	$(BIN)/python tools/mutants.py

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $(VENV)/.installed $@

# the site in docs/_build/html; warnings are errors, examples executed (cached), no network
docs: $(VENV)/.installed-docs
	MPLBACKEND=Agg $(BIN)/python -m sphinx -W --keep-going -b html -j 1 docs docs/_build/html

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache docs/_build docs/auto_examples docs/reference/api
