#!/usr/bin/env bash
# The GitHub Action's steps (action.yml), a script of their own so they run the same on a laptop:
#
#   scripts/mock-action.sh start      start the mock, wait for /__mock/health, output url=...
#   scripts/mock-action.sh stop       stop every mock `start` started in this job (its log tail shown)
#   scripts/mock-action.sh contract   the drift suite against BASE_URL: output code=0|1|3 and report=DIR
#
# Settings (the action's inputs, as env):
#   MOCK_RUNNER    auto (docker when it can run IMAGE, else pip) | docker | pip          [auto]
#   MOCK_IMAGE     the image to run                          [ghcr.io/<the action's repo>:<its ref>]
#   MOCK_PORT      loopback port the mock answers on                                    [4010]
#   MOCK_ARGS      further `aihubmix-mock serve` options, e.g. "--job-seconds 0 --key sk-test"
#   MOCK_WAIT      seconds to wait for health                                           [30]
#   MOCK_DOCKER_NETWORK  "host": run the container on the host's network (no port mapping)
#   MOCK_PYTHON    Python for the pip path (3.11+)                                      [python3]
#   BASE_URL, BUDGET [0], FAIL_ON [any], REPORT_DIR [aihubmix-drift-report]: `contract` only
# Outputs go to $GITHUB_OUTPUT (or stdout); state between start and stop lives in $RUNNER_TEMP.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)   # the action's own checkout (the repository root)
STATE=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/aihubmix-mock-action
PORT=${MOCK_PORT:-4010}
WAIT=${MOCK_WAIT:-30}
out() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >>"$GITHUB_OUTPUT"; fi; echo "$1"; }
say() { echo "aihubmix-mock action: $*" >&2; }
die() { echo "::error::aihubmix-mock action: $*" >&2; exit 1; }

default_image() {
  local repo=${GITHUB_ACTION_REPOSITORY:-} ref=${GITHUB_ACTION_REF:-}
  [ -n "$repo" ] && [ -n "$ref" ] && echo "ghcr.io/$(echo "$repo" | tr '[:upper:]' '[:lower:]'):$ref"
}

start_docker() {  # $1 image
  local cid
  if [ "${MOCK_DOCKER_NETWORK:-}" = host ]; then
    cid=$(docker run -d --network host -e PORT="$PORT" -e AIHUBMIX_MOCK_ARGS="${MOCK_ARGS:-}" "$1" --host 127.0.0.1)
  else
    cid=$(docker run -d -p "127.0.0.1:$PORT:4010" -e AIHUBMIX_MOCK_ARGS="${MOCK_ARGS:-}" "$1")
  fi
  echo "docker $cid" >"$STATE/$PORT"
}

start_pip() {
  local bin
  if command -v aihubmix-mock >/dev/null 2>&1; then
    bin=$(command -v aihubmix-mock)  # already installed (a venv on PATH, pipx): nothing to do
  else
    local venv=$STATE/venv python=${MOCK_PYTHON:-python3}
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$python is older than 3.11 (use actions/setup-python)"
    if [ ! -x "$venv/bin/aihubmix-mock" ]; then
      say "installing the mock with pip (runtime wheels pinned by constraints.txt)"
      "$python" -m venv "$venv"
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$HERE/constraints.txt" "$HERE"
    fi
    bin=$venv/bin/aihubmix-mock
  fi
  # Its own session where there is setsid (Linux), so the step's end signals nothing to it; macOS
  # runners have none, and the runner keeps a step's background processes until the job ends anyway.
  local detach=()
  if command -v setsid >/dev/null 2>&1; then detach=(setsid); fi
  # shellcheck disable=SC2086  # MOCK_ARGS holds several options; AIHUBMIX_MOCK_ARGS would split the same way
  ${detach[@]+"${detach[@]}"} "$bin" serve --host 127.0.0.1 --port "$PORT" ${MOCK_ARGS:-} >"$STATE/$PORT.log" 2>&1 </dev/null &
  echo "pid $!" >"$STATE/$PORT"
}

alive() {  # the mock started on $PORT still runs
  local kind id
  read -r kind id <"$STATE/$PORT"
  if [ "$kind" = docker ]; then [ "$(docker inspect -f '{{.State.Running}}' "$id" 2>/dev/null)" = true ]; else kill -0 "$id" 2>/dev/null; fi
}

logs() {  # $1: file holding "kind id", $2: lines
  local kind id
  read -r kind id <"$1"
  if [ "$kind" = docker ]; then docker logs --tail "$2" "$id" 2>&1; else tail -n "$2" "$1.log" 2>/dev/null; fi
}

start() {
  mkdir -p "$STATE"
  [ ! -e "$STATE/$PORT" ] || die "a mock this action started already holds port $PORT (stop it first, or pick another port)"
  local runner=${MOCK_RUNNER:-auto} image=${MOCK_IMAGE:-}
  image=${image:-$(default_image || true)}
  if [ "$runner" = auto ]; then
    runner=pip
    if [ -n "$image" ] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      if docker image inspect "$image" >/dev/null 2>&1 || docker pull -q "$image" >/dev/null 2>&1; then
        runner=docker
      else
        say "cannot pull $image: installing the package instead"
      fi
    fi
  fi
  case $runner in
    docker) [ -n "$image" ] || die "runner docker needs an image"; say "starting $image on port $PORT"; start_docker "$image" ;;
    pip) say "starting the package on port $PORT"; start_pip ;;
    *) die "runner must be auto, docker or pip, not '$runner'" ;;
  esac
  local url=http://127.0.0.1:$PORT deadline=$((SECONDS + WAIT))
  until curl -fs -o /dev/null "$url/__mock/health"; do
    if ! alive || [ $SECONDS -ge "$deadline" ]; then
      logs "$STATE/$PORT" 30 >&2 || true
      stop_one "$STATE/$PORT"
      die "the mock did not answer $url/__mock/health within $WAIT s (its log is above)"
    fi
    sleep 0.1
  done
  say "ready on $url ($runner)"
  out "url=$url"
  out "runner=$runner"
}

stop_one() {  # $1: state file
  local kind id
  read -r kind id <"$1"
  if [ "$kind" = docker ]; then
    docker stop "$id" >/dev/null 2>&1 || true
    docker rm -f "$id" >/dev/null 2>&1 || true
  else
    kill -TERM "$id" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$id" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$id" 2>/dev/null || true
  fi
  rm -f "$1" "$1.log"
}

stop() {
  local file found=0
  for file in "$STATE"/[0-9]*; do
    case ${file##*/} in *[!0-9]*) continue ;; esac  # one file per port: "pid N" or "docker ID"
    [ -f "$file" ] || continue
    found=1
    say "stopping the mock on port ${file##*/}; the end of its log:"
    logs "$file" 20 >&2 || true
    stop_one "$file"
  done
  [ $found = 1 ] || say "no mock to stop"
}

contract() {
  [ -n "${BASE_URL:-}" ] || die "contract needs base_url"
  local code=0 report=${REPORT_DIR:-aihubmix-drift-report}
  make -C "$HERE" --no-print-directory install >&2 || die "make install failed"
  case $report in /*) ;; *) report="$PWD/$report" ;; esac
  # python -m contract_tests, not make contract: make exits 2 for any failure, and this step's
  # output is the suite's own code (0 no drift, 1 drift, 3 incidents only). The module prints the
  # sentence that says which, and the ::error::/::warning:: annotation under GitHub Actions.
  (cd "$HERE" && .venv/bin/python -m contract_tests --base-url "$BASE_URL" --budget "${BUDGET:-0}" \
    --fail-on "${FAIL_ON:-any}" --report-dir "$report") || code=$?
  [ -d "$report" ] && out "report=$report"
  out "code=$code"
  return "$code"
}

case "${1:-}" in
  start | stop | contract) "$1" ;;
  *) echo "usage: $0 start|stop|contract (settings in env, see the top of this script)" >&2; exit 2 ;;
esac
