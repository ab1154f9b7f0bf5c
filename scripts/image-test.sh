#!/usr/bin/env bash
# make image-test: the image as other projects use it (docs/ci.md), each recipe run as printed there.
#   1. `docker run IMAGE`: health within 3 s of the start, the ready line in the log, the official
#      Node client (recipes/node) creates, polls and downloads, twice against the same server; docker's
#      own HEALTHCHECK turns healthy; `docker stop` exits 0.
#   2. the GitHub Actions service container's equivalent: options from env AIHUBMIX_MOCK_ARGS, waited
#      for by docker's health status as the runner does; the state volume keeps a job across containers.
#   3. the GitHub Action's script (scripts/mock-action.sh) with the docker runner: url output, stop.
#   4. testcontainers for Node starting the image (recipes/node/testcontainers.test.mjs).
# Needs Docker and npm. DOCKER_NETWORK=host (the default) runs containers on the host's network with
# the mock on a free loopback port; any other value maps the port to 127.0.0.1 instead.
set -euo pipefail
IMAGE=${IMAGE:-aihubmix-video-mock:dev}
NETWORK=${DOCKER_NETWORK:-host}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NODE_DIR=$ROOT/recipes/node
containers=()
volume=aihubmix-mock-test-$$
cleanup() {
  for c in "${containers[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done
  docker volume rm "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
say() { echo "image-test: $*"; }
fail() { echo "image-test: FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# docker run IMAGE [docker options --] [mock options]: the mock on a free loopback port; sets $url, $cid.
start() {
  local docker_opts=() port
  while [ $# -gt 0 ] && [ "$1" != -- ]; do docker_opts+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  port=$(free_port)
  url=http://127.0.0.1:$port
  if [ "$NETWORK" = host ]; then
    cid=$(docker run -d --network host -e PORT="$port" "${docker_opts[@]}" "$IMAGE" --host 127.0.0.1 "$@")
  else
    cid=$(docker run -d -p "127.0.0.1:$port:4010" "${docker_opts[@]}" "$IMAGE" "$@")
  fi
  containers+=("$cid")
}

healthy_within() {  # seconds: until /__mock/health answers 200
  local deadline=$((SECONDS + $1))
  until curl -fs -o /dev/null "$url/__mock/health"; do
    [ $SECONDS -lt "$deadline" ] || { docker logs "$cid" >&2; fail "no health at $url within $1 s"; }
    sleep 0.05
  done
}

docker_healthy() {  # seconds, what failed: until docker's own HEALTHCHECK says healthy
  local deadline=$((SECONDS + $1))
  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$cid")" = healthy ]; do
    [ $SECONDS -lt "$deadline" ] || fail "$2"
    sleep 0.5
  done
}

[ -d "$NODE_DIR/node_modules" ] || (cd "$NODE_DIR" && npm ci --no-audit --no-fund)

say "1. docker run $IMAGE"
t0=$(date +%s%N)
start -- --job-seconds 0
healthy_within 3
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -le 3000 ] || fail "health after $ms ms, more than 3 s"
say "health after $ms ms"
docker logs "$cid" 2>&1 | grep -q "aihubmix-mock ready on http://127.0.0.1:" || fail "no ready line in the log"
[ "$(docker exec "$cid" id -u)" != 0 ] || fail "the server runs as root"
for run in 1 2; do
  (cd "$NODE_DIR" && MOCK_URL=$url npm test --silent) || fail "the Node client against $url (run $run)"
done
docker_healthy 20 "docker's HEALTHCHECK never said healthy"
docker stop "$cid" >/dev/null
[ "$(docker inspect -f '{{.State.ExitCode}}' "$cid")" = 0 ] || fail "docker stop: exit $(docker inspect -f '{{.State.ExitCode}}' "$cid")"
say "healthy, twice the Node client, stopped with exit 0"

start --init --  # PID 1 is docker's init: the HEALTHCHECK finds the server among its children
docker_healthy 20 "under docker run --init, never healthy"
docker stop "$cid" >/dev/null
say "healthy under docker run --init too"

say "2. the service container: options in AIHUBMIX_MOCK_ARGS, a state volume"
start -e AIHUBMIX_MOCK_ARGS="--job-seconds 0 --key sk-test --state-file /data/state.sqlite3" -v "$volume:/data" --
docker_healthy 30 "the service container never turned healthy"  # as the Actions runner waits
(cd "$NODE_DIR" && MOCK_URL=$url npm test --silent) || fail "the Node client against the service container"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/videos" -H 'Authorization: Bearer sk-other')
[ "$code" = 401 ] || fail "AIHUBMIX_MOCK_ARGS --key not applied: another key got $code"
id=$(curl -fsS "$url/v1/videos" -H 'Authorization: Bearer sk-test' -H 'Content-Type: application/json' \
  -d '{"model": "sora-2", "prompt": "kept across containers"}' | jq -r .id)
docker stop "$cid" >/dev/null
start -e AIHUBMIX_MOCK_ARGS="--job-seconds 0 --key sk-test --state-file /data/state.sqlite3" -v "$volume:/data" --
healthy_within 10
status=$(curl -fsS "$url/v1/videos/$id" -H 'Authorization: Bearer sk-test' | jq -r .status)
[ "$status" = completed ] || fail "the job was not kept in the volume (status $status)"
docker stop "$cid" >/dev/null
say "healthy by docker's status, keys from the env, a job kept in the volume across two containers"

say "3. the GitHub Action's steps, docker runner (the pip runner runs in tests/test_action.py)"
RUNNER_TEMP=$(mktemp -d)
export RUNNER_TEMP GITHUB_OUTPUT=/dev/null
action_port=$(free_port)
action_out=$(MOCK_RUNNER=docker MOCK_IMAGE=$IMAGE MOCK_PORT=$action_port MOCK_ARGS="--job-seconds 0" \
  MOCK_DOCKER_NETWORK=$NETWORK "$ROOT/scripts/mock-action.sh" start)
if ! grep -qx "url=http://127.0.0.1:$action_port" <<<"$action_out" || ! grep -qx "runner=docker" <<<"$action_out"; then
  fail "the action's start said: $action_out"
fi
(cd "$NODE_DIR" && MOCK_URL=http://127.0.0.1:$action_port npm test --silent) || fail "the Node client against the action's mock"
"$ROOT/scripts/mock-action.sh" stop
! curl -fs -o /dev/null "http://127.0.0.1:$action_port/__mock/health" || fail "the action's stop left the mock running"
rm -rf "$RUNNER_TEMP"
say "started by the action from the image, the Node client passed, stopped"

say "4. testcontainers (Node)"
(cd "$NODE_DIR" && MOCK_IMAGE=$IMAGE MOCK_NETWORK=$NETWORK TESTCONTAINERS_RYUK_DISABLED=true npm run --silent test:containers) \
  || fail "the testcontainers recipe"
say "all recipes passed"
