# The two commands of the README:  `make report` (the main job) and `make test`.
# The build machinery lives in tools/ (run from this folder as `python -m tools.<name>`).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install export report book test test-fast check-book check-guard colab clean

install: $(STAMP)

# Create .venv if missing, then install the pinned requirements (and this package, editable).
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Rewrite movierec_utils/models/{two_tower,lightgcn,dnn}.py from the `#| export` cells of
# notebooks 01-03 (the one source of the model code); a test fails when they are out of step.
export: install
	$(BIN)/python -m tools.export

# Export the model modules, then execute every notebook — lessons 00-04, notebooks/appendix/,
# notebooks/solutions/ — two at a time, each after the notebooks whose results it reads, in
# build/report-staging/ (progress and wall time per notebook); only if all passed, publish notebooks/, figures/, results/ and README.md's
# generated blocks (all or nothing), then build the book. A failure names the notebook and cell
# and changes nothing.
report: install
	$(BIN)/python -m tools.export
	$(BIN)/python -m tools.report

# The book alone, from the executed notebooks and results/*.json (never re-executed):
# build/book/_build/html/index.html.
book: install
	$(BIN)/python -m tools.book

# Open every page of the built book in headless Chromium (broken images, links, console errors).
check-book: install
	$(BIN)/python -m tools.check_book

# Unit tests and every notebook executed by nbval, on two workers (settings in pyproject.toml).
test: install
	$(BIN)/python -m pytest

# What a developer runs while working: everything not marked slow (no notebooks, no book, no
# multi-worker or long training runs), on one worker; under a minute.
test-fast: install
	$(BIN)/python -m pytest -p no:xdist -o addopts="-ra -p no:cacheprovider" -m "not slow" tests

# Shows that `make test` guards the committed outputs: a scratch copy with the two-tower's
# embedding size changed in notebook 01 must FAIL nbval, with a readable diff (~3 min).
check-guard: install
	$(BIN)/python tests/check_guard.py

# Once the repository is published: write the "Open in Colab" badge and the Colab-only setup
# cell into every notebook (all or none: every notebook is checked first). `make colab` uses the
# address of `git remote origin`; `make colab REPOSITORY=https://github.com/OWNER/NAME` names it.
# The address reaches Python through the environment, unexpanded by make ($(value …)) and quoted
# in the shell, and is checked there before use: neither make nor a shell ever parses it.
colab: export override REPOSITORY := $(value REPOSITORY)
colab: install
	$(BIN)/python -m tools.colab $${REPOSITORY:+"$$REPOSITORY"}

clean:
	rm -rf build report .pytest_cache
