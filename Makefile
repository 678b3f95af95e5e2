# The two commands of the README:  `make report` (the main job) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install export report test check-guard colab clean

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
	$(BIN)/python -m movierec_utils.export

# Export the model modules from notebooks 01-03 (so every notebook runs the code they teach),
# then execute every notebook in order (progress + wall time per notebook) in build/report-staging/,
# then — only if all passed — update notebooks/, figures/, results/ and README.md, and build
# report/index.html. A failure names the notebook and cell and changes nothing.
report: install
	$(BIN)/python -m movierec_utils.export
	$(BIN)/python -m movierec_utils.report

# Unit tests and every notebook executed by nbval, on two workers (settings in pyproject.toml).
test: install
	$(BIN)/python -m pytest

# Shows that `make test` guards the committed outputs: a scratch copy with the two-tower's
# embedding size changed in notebook 01 must FAIL nbval, with a readable diff (~3 min).
check-guard: install
	$(BIN)/python tests/check_guard.py

# Once the repository is published: write the "Open in Colab" badge and the Colab-only setup
# cell into every notebook (all or none: every notebook is checked first). `make colab` uses the
# address of `git remote origin`; `make colab REPOSITORY=https://github.com/OWNER/NAME` names it.
colab: install
	$(BIN)/python -m movierec_utils.colab $(REPOSITORY)

clean:
	rm -rf report .pytest_cache
