# The README's two commands: `make demo` (the main job) and `make test`.
# Each creates .venv, installs microprop with what it needs, and checks system programs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= microprop-demo

.PHONY: demo test clean

demo: $(VENV)/.installed-demo
	@bash .ci/system-deps.sh dot
	$(BIN)/microprop demo --out $(OUT)

test: $(VENV)/.installed-test
	@bash .ci/system-deps.sh dot chromium
	$(BIN)/python -m pytest

$(VENV)/.installed-%: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
