# One command each, on a fresh machine: make test, make mock.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PORT   ?= 4010
JOB_SECONDS ?= 5
MOCK_ARGS ?=
BASE_URL ?=
API_KEY ?=
BUDGET ?= 0
BASELINE ?=
FAIL_ON ?= any
MAX_RUN_SECONDS ?=
PLAN ?=

.PHONY: install test test-unit test-contract test-socket mock lint contract bench deep drift-demo clean

# The venv is rebuilt when the dependency pins change. constraints.txt pins every package
# (`pip freeze` of a passing run), pyproject.toml keeps the ranges.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

## make test: unit + spec tests and the contract suite in-process, the suite again over a real
## socket, then Schemathesis fuzzing with many examples and every check.
test: install
	$(PY) -m pytest tests contract_tests -q
	$(PY) -m pytest contract_tests -q --target=socket
	$(PY) -m pytest contract_tests/test_schemathesis.py -q --profile=deep

test-unit: install
	$(PY) -m pytest tests -q

## make mock: the mock on 127.0.0.1:$(PORT) (PORT=..., JOB_SECONDS=...).
mock: install
	$(BIN)/aihubmix-mock serve --host 127.0.0.1 --port $(PORT) --job-seconds $(JOB_SECONDS) $(MOCK_ARGS)

lint: install
	$(BIN)/ruff check mock contract_tests tests bench conftest.py

## make contract BASE_URL=https://aihubmix.com API_KEY=sk-... [BUDGET=2] [BASELINE=reports/previous/drift.json]
##   [FAIL_ON=new] [MAX_RUN_SECONDS=3600] [PLAN=1]: drift report in reports/. Exit 0 nothing drifted,
##   1 drift, 3 incidents (balance, throttling, outages) kept checks from running. PLAN=1 prints
##   every call that may bill and the worst case, and makes none.
contract: install
	@test -n "$(BASE_URL)" || (echo "make contract needs BASE_URL=..." >&2; exit 2)
	mkdir -p reports
	AIHUBMIX_API_KEY="$(or $(API_KEY),$$AIHUBMIX_API_KEY)" $(PY) -m pytest contract_tests -q --base-url "$(BASE_URL)" \
		--max-billable-jobs $(BUDGET) --junitxml=reports/junit.xml --fail-on $(FAIL_ON) \
		$(if $(BASELINE),--baseline "$(BASELINE)") $(if $(MAX_RUN_SECONDS),--max-run-seconds $(MAX_RUN_SECONDS)) \
		$(if $(PLAN),--plan)

## make deep: the contract suite with many more generated examples (minutes, not part of make test).
deep: install
	$(PY) -m pytest contract_tests -q --profile=deep

## make drift-demo: the suite against each deliberately drifted stand-in (see README).
drift-demo: install
	$(PY) -m pytest tests/test_drift_standins.py -q -s

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) reports .hypothesis *.egg-info
