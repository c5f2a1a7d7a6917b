# Homepost: `make demo` builds and serves the example site, `make test` runs the test suite.
# Both create .venv on first use; nothing else needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
SOURCES := $(shell find generator themes -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: demo test lint golden bench fuzz clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Homepost needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
		{ echo "Could not create $(VENV): on Debian or Ubuntu, install python3-venv first"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's metadata changed.
$(VENV)/.installed-demo: $(BIN)/python pyproject.toml $(SOURCES)
	$(BIN)/python -m pip install --quiet '.[fast]'
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(BIN)/homepost build && $(BIN)/homepost serve --port $(PORT)

# The browser tests need Chromium, a Java runtime and two npm packages: tools/ci-setup.sh installs
# them (as root, through apt and npm) and returns at once when they are there.
test: $(VENV)/.installed-test
	bash tools/ci-setup.sh
	$(BIN)/python -m pytest

# Lint and types, configured in pyproject.toml: ruff's checks, its formatting (checked, never applied here) and
# mypy on generator/. Formatting-only commits are listed in .git-blame-ignore-revs.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Rewrite the golden output after an intended change to what the site looks like.
golden: $(VENV)/.installed-test
	$(BIN)/python -m tests.golden

# Rewrite the README's table of site.toml keys from their declarations in generator/config/.
.PHONY: docs
docs: $(VENV)/.installed-test
	$(BIN)/python -m generator.config.reference --write README.md

# Time Homepost against Hugo and Pelican (not a test; installs those two into bench/work/venvs),
# then fediverse delivery to 10,000 followers on a loopback sink (bench/fediverse.py).
# Options go in ARGS, e.g. make bench ARGS="--posts 1000 --tools homepost,hugo".
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py $(ARGS)
	$(BIN)/python bench/fediverse.py

# Render random Markdown documents on both Markdown paths and fail on the first difference
# (tests/test_markdown_fuzz.py; `make test` runs 300 of them). 100,000 take about an hour.
# Then SITE_FUZZ_EXAMPLES random small sites through tests/test_site_property.py (`make test` runs 12).
FUZZ_EXAMPLES ?= 100000
SITE_FUZZ_EXAMPLES ?= 500
fuzz: $(VENV)/.installed-test
	HOMEPOST_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_markdown_fuzz.py -k random_documents -q
	HOMEPOST_FUZZ_EXAMPLES=$(SITE_FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_site_property.py -q

clean:
	rm -rf public .homepost .pytest_cache
