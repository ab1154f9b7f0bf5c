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

.PHONY: install install-runtime test test-unit test-contract test-socket mock lint format contract free docs-snapshot bench deep drift-demo rules clean proxy bench-proxy

# setuptools says, for every editable install, to beware of folders named like the package: ours
# installs as aihubmix_mock from mock/ (pyproject.toml says why), so there is none. Silenced by name.
PIP := PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install --quiet --disable-pip-version-check

# Two steps in one venv, each redone when the dependency pins change. constraints.txt pins every
# package (`pip freeze` of a passing run), pyproject.toml keeps the ranges.
# The server alone (make mock) needs only the runtime dependencies (~100 MB); the tests add the dev
# extra (Schemathesis, openai, ruff, mypy…).
$(VENV)/.runtime: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade "pip>=24"
	$(PIP) -c constraints.txt -e .
	touch $@

$(VENV)/.installed: $(VENV)/.runtime
	$(PIP) -c constraints.txt -e '.[dev]'
	touch $@

install-runtime: $(VENV)/.runtime
install: $(VENV)/.installed

## make test: unit + spec tests and the contract suite in-process, the suite again over a real
## socket, then Schemathesis fuzzing with many examples and every check.
test: install lint
	$(PY) -m pytest tests contract_tests -q
	$(PY) -m pytest contract_tests -q --target=socket
	$(PY) -m pytest contract_tests/test_schemathesis.py -q --profile=deep

test-unit: install
	$(PY) -m pytest tests -q

## make mock: the mock on 127.0.0.1:$(PORT) (PORT=..., JOB_SECONDS=...).
mock: install-runtime
	$(BIN)/aihubmix-mock serve --host 127.0.0.1 --port $(PORT) --job-seconds $(JOB_SECONDS) $(MOCK_ARGS)

LINTED := mock contract_tests tests bench conftest.py

## make lint: ruff's rules, ruff's format (checked, not applied), mypy (strict on mock/).
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

## make format: apply ruff's format and its fixable rules.
format: install
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

## make contract BASE_URL=https://aihubmix.com API_KEY=sk-... [BUDGET=2] [BASELINE=reports/previous/drift.json]
##   [FAIL_ON=new] [MAX_RUN_SECONDS=3600] [PLAN=1] [RECORD=recordings/nightly]: drift report in reports/. Exit 0 nothing drifted,
##   1 drift, 3 incidents (balance, throttling, outages) kept checks from running. PLAN=1 prints
##   every call that may bill and the worst case, and makes none. RECORD=DIR records every exchange
##   of the suite's client for `aihubmix-mock evidence DIR` (docs/proxy.md).
contract: install
	@test -n "$(BASE_URL)" || (echo "make contract needs BASE_URL=..." >&2; exit 2)
	mkdir -p reports
	AIHUBMIX_API_KEY="$(or $(API_KEY),$$AIHUBMIX_API_KEY)" $(PY) -m pytest contract_tests -q --base-url "$(BASE_URL)" \
		--max-billable-jobs $(BUDGET) --junitxml=reports/junit.xml --fail-on $(FAIL_ON) \
		$(if $(BASELINE),--baseline "$(BASELINE)") $(if $(MAX_RUN_SECONDS),--max-run-seconds $(MAX_RUN_SECONDS)) \
		$(if $(PLAN),--plan) $(if $(RECORD),--record "$(RECORD)")

## make free [BASE_URL=https://aihubmix.com]: the zero-cost drift watch (catalogue, per-model schemas,
## docs), no key, no billable call; report in reports/, what was fetched in reports/free/.
## METADATA_URL=... / DOCS_URL=... point the metadata or the docs elsewhere (a mirror, a loopback server).
free: install
	mkdir -p reports
	$(PY) -m pytest contract_tests -m free -q --drift-report $(if $(BASE_URL),--base-url "$(BASE_URL)") \
		$(if $(METADATA_URL),--metadata-url "$(METADATA_URL)") $(if $(DOCS_URL),--docs-url "$(DOCS_URL)")

## make docs-snapshot [DOCS_URL=...]: re-take fixtures/docs/ from the live pages (their own URLs), or from
## DOCS_URL (a mirror holding every page at its path). Review `git diff fixtures/docs` before committing.
docs-snapshot: install
	$(PY) -m contract_tests.engine.docs_watch snapshot $(if $(DOCS_URL),--docs-url "$(DOCS_URL)")

## make deep: the contract suite with many more generated examples (minutes, not part of make test).
deep: install
	$(PY) -m pytest contract_tests -q --profile=deep

## make drift-demo: the suite against each deliberately drifted stand-in (see README).
drift-demo: install
	$(PY) -m pytest tests/test_drift_standins.py -q -s

## make rules: regenerate the rules tables of openapi/RULES.md from the specs' components/x-rules.
rules: install
	$(PY) -m tests.rules_md

bench: install
	$(PY) bench/run.py

## make proxy UPSTREAM=https://aihubmix.com [RECORD=recordings] [PROXY_PORT=4020]: the validating,
## recording proxy in front of a real API (docs/proxy.md); drift report in reports/proxy/.
PROXY_PORT ?= 4020
proxy: install
	@test -n "$(UPSTREAM)" || (echo "make proxy needs UPSTREAM=..." >&2; exit 2)
	$(BIN)/aihubmix-mock proxy --upstream "$(UPSTREAM)" --port $(PROXY_PORT) --report reports/proxy \
		$(if $(RECORD),--record "$(RECORD)")

## make bench-proxy: what the proxy costs (latency, throughput, a 100 MB download's memory).
bench-proxy: install
	$(PY) bench/proxy.py

clean:
	rm -rf $(VENV) reports .hypothesis *.egg-info
