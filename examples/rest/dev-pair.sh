# Sourced by the walkthrough scripts: starts a dev primary and a dev secondary on loopback with the
# same root token (after activation the secondary accepts the primary's tokens), stops both on
# exit, and waits until both answer. Sets P, S (base URLs), ROOT and LOG_DIR.
# Ports: FERRY_PRIMARY_PORT (default 8200) and FERRY_SECONDARY_PORT (default 8300); each cluster
# port is the API port + 1.
P="http://127.0.0.1:${FERRY_PRIMARY_PORT:-8200}"
S="http://127.0.0.1:${FERRY_SECONDARY_PORT:-8300}"
ROOT="${FERRY_DEMO_ROOT_TOKEN:-demo-root}"
LOG_DIR="$(mktemp -d)"
[ -f dist/server/cli/main.js ] || npm run build >/dev/null

node bin/ferry.js server -dev -dev-no-store-token -dev-root-token-id="$ROOT" -dev-listen-address="${P#http://}" >"$LOG_DIR/primary.log" 2>&1 &
P_PID=$!
node bin/ferry.js server -dev -dev-no-store-token -dev-root-token-id="$ROOT" -dev-listen-address="${S#http://}" >"$LOG_DIR/secondary.log" 2>&1 &
S_PID=$!
trap 'kill $P_PID $S_PID 2>/dev/null || true' EXIT

wait_healthy() {
  for _ in $(seq 1 100); do
    curl -sf "$1/v1/sys/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "no server answers at $1; logs in $LOG_DIR" >&2
  exit 1
}
wait_healthy "$P"
wait_healthy "$S"
