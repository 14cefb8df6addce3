# The README's two commands: `make demo` (the main job) and `make test`, and `make lint`.
# Each creates .venv, installs microprop with what it needs, and checks system programs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= microprop-demo

.PHONY: demo test lint clean messages

demo: $(VENV)/.installed-demo
	@bash .ci/system-deps.sh dot hangul
	$(BIN)/microprop demo --out $(OUT)
	@echo "The microprop command is in $(BIN)/: run it as $(BIN)/microprop, or '. $(BIN)/activate' first."

test: $(VENV)/.installed-test
	@bash .ci/system-deps.sh dot chromium hangul
	$(BIN)/python -m pytest

# ruff (lint and format) over microprop/, viz/, examples/ and benchmarks/; mypy (settings in
# pyproject.toml) over what they list
lint: $(VENV)/.installed-lint
	$(BIN)/ruff check microprop viz examples benchmarks
	$(BIN)/ruff format --check microprop viz examples benchmarks
	$(BIN)/mypy

$(VENV)/.installed-%: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

# Learner-facing text: extract the messages (tr/ntr/N_), merge them into the Korean
# catalogue, compile it. The .mo is committed (no build step needs Babel); a test checks
# it matches the .po. Translate new entries in microprop/locale/ko/LC_MESSAGES/microprop.po.
LOCALE := microprop/locale
messages: $(VENV)/.installed-test
	@# (Babel notes each f-string argument of tr(); those are values, not messages)
	bash -c 'set -o pipefail; $(BIN)/pybabel extract -F babel.cfg -k tr -k ntr:1,2 -k N_ --no-location \
	  --sort-output --project microprop --copyright-holder "microprop authors" -o $(LOCALE)/microprop.pot . \
	  2>&1 | { grep -v "Skipping f-string" || true; }'
	$(BIN)/pybabel update -D microprop -i $(LOCALE)/microprop.pot -d $(LOCALE) -l ko --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --statistics -D microprop -d $(LOCALE) -l ko

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
