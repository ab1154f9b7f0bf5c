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
API_KEY_2 ?=
BUDGET ?= 0
BASELINE ?=
FAIL_ON ?= any
MAX_RUN_SECONDS ?=
PLAN ?=
REPORT_DIR ?= reports

.PHONY: install install-runtime test test-unit test-contract test-socket mock lint format contract free docs-snapshot bench deep drift-demo rules clean image image-test proxy bench-proxy

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

## make test: unit + spec tests, the contract suite in-process and again over a real socket, both in
## a random order (no test may depend on another having run first: SEED=N repeats an order), then
## Schemathesis fuzzing with many examples and every check.
SEED ?= $(shell date +%s)
RANDOM_ORDER = -p random_order --random-order-bucket=global --random-order-seed=$(SEED)
test: install lint
	$(PY) -m pytest tests -q
	@echo "contract suite in a random order: SEED=$(SEED) (make test SEED=$(SEED) repeats it)"
	$(PY) -m pytest contract_tests -q $(RANDOM_ORDER)
	$(PY) -m pytest contract_tests -q --target=socket $(RANDOM_ORDER)
	$(PY) -m pytest contract_tests/test_schemathesis.py -q --profile=deep

test-unit: install
	$(PY) -m pytest tests -q

## make mock: the mock on 127.0.0.1:$(PORT) (PORT=..., JOB_SECONDS=...).
mock: install-runtime
	$(BIN)/aihubmix-mock serve --host 127.0.0.1 --port $(PORT) --job-seconds $(JOB_SECONDS) $(MOCK_ARGS)

LINTED := mock contract_tests tests bench conftest.py

## make lint: ruff's rules, ruff's format (checked, not applied), mypy (strict on mock/, mypy's
## defaults on contract_tests/).
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/mypy contract_tests

## make format: apply ruff's format and its fixable rules.
format: install
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

## make contract BASE_URL=https://aihubmix.com API_KEY=sk-... [API_KEY_2=sk-...] [BUDGET=2]
##   [BASELINE=reports/previous/drift.json] [FAIL_ON=new] [MAX_RUN_SECONDS=3600] [PLAN=1]
##   The drift report goes to reports/. Its last line says what happened: 0 no drift, 1 drift,
##   3 incidents only (balance, throttling, outages); other codes: usage or the suite's own failure.
##   make itself exits 2 whenever a recipe fails (GNU make) and shows the real code as "Error N";
##   a CI step that branches on the code runs `python -m contract_tests` (what this calls) directly.
##   PLAN=1 prints every call that may bill and the worst case, and makes none. RECORD=DIR records
##   every exchange of the suite's client for `aihubmix-mock evidence DIR` (docs/proxy.md).
## make free [BASE_URL=https://aihubmix.com]: the zero-cost drift watch (catalogue, per-model schemas,
##   docs), no key, no billable call; report in reports/, what was fetched in reports/free/.
##   METADATA_URL=... / DOCS_URL=... point the metadata or the docs elsewhere (a mirror, a loopback server).
# The keys reach the suite through the environment, never on a command line that make echoes.
contract free: export AIHUBMIX_API_KEY := $(or $(API_KEY),$(AIHUBMIX_API_KEY))
contract free: export AIHUBMIX_API_KEY_2 := $(or $(API_KEY_2),$(AIHUBMIX_API_KEY_2))
contract: install
	@test -n "$(BASE_URL)" || (echo "make contract needs BASE_URL=... (the mock in-process: make contract BASE_URL=http://127.0.0.1:4010 after make mock)" >&2; exit 2)
	$(PY) -m contract_tests --base-url "$(BASE_URL)" --budget $(BUDGET) --fail-on $(FAIL_ON) --report-dir "$(REPORT_DIR)" \
		$(if $(BASELINE),--baseline "$(BASELINE)") $(if $(MAX_RUN_SECONDS),--max-run-seconds $(MAX_RUN_SECONDS)) \
		$(if $(PLAN),--plan) $(if $(RECORD),--record "$(RECORD)")

free: install
	$(PY) -m contract_tests free --report-dir "$(REPORT_DIR)" $(if $(BASE_URL),--base-url "$(BASE_URL)") \
		$(if $(METADATA_URL),-- --metadata-url "$(METADATA_URL)") $(if $(DOCS_URL),$(if $(METADATA_URL),,--) --docs-url "$(DOCS_URL)")

## make docs-snapshot [DOCS_URL=...]: re-take fixtures/docs/ from the live pages (their own URLs), or from
## DOCS_URL (a mirror holding every page at its path). Review `git diff fixtures/docs` before committing.
docs-snapshot: install
	$(PY) -m contract_tests.engine.docs_watch snapshot $(if $(DOCS_URL),--docs-url "$(DOCS_URL)")

## make deep: the contract suite with many more generated examples (minutes, not part of make test).
deep: install
	$(PY) -m pytest contract_tests -q --profile=deep

## make drift-demo: the suite against each deliberately drifted stand-in (see docs/contract-suite.md).
drift-demo: install
	$(PY) -m pytest tests/test_drift_standins.py -q -s

## make rules: regenerate the rules tables of openapi/RULES.md from the specs' components/x-rules.
rules: install
	$(PY) -m tests.rules_md

bench: install
	$(PY) bench/run.py

## make image [IMAGE=aihubmix-video-mock:dev] [BASE=python:3.11-slim] [DOCKER_NETWORK=host] [WHEELHOUSE=0|1]:
## the container image (Dockerfile). Its runtime wheels (pinned by constraints.txt) are made on the host
## first (.wheelhouse/), so the build fetches nothing; by default only where they fit the image (Linux,
## Python 3.11), elsewhere the build takes them from PyPI. Needs Docker; not part of make test. docs/ci.md.
IMAGE ?= aihubmix-video-mock:dev
BASE ?=
DOCKER_NETWORK ?= host
WHEELHOUSE ?= $(shell $(PYTHON) -c 'import sys; print(int(sys.platform == "linux" and sys.version_info[:2] == (3, 11)))')
image: install-runtime
	rm -rf .wheelhouse
	$(if $(filter 1,$(WHEELHOUSE)),$(PY) -m pip wheel --quiet --disable-pip-version-check . -c constraints.txt -w .wheelhouse)
	docker build --network $(DOCKER_NETWORK) $(if $(BASE),--build-arg BASE=$(BASE)) -t $(IMAGE) .

## make image-test: start the image and drive it the way other projects do (health within 3 s, the
## official Node client, the service-container recipe, testcontainers for Node). Needs Docker and npm.
image-test: image
	IMAGE=$(IMAGE) DOCKER_NETWORK=$(DOCKER_NETWORK) scripts/image-test.sh

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
	rm -rf $(VENV) reports .hypothesis *.egg-info .wheelhouse
