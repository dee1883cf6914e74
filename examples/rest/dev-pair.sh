# Sourced by the walkthrough scripts: starts a dev primary and a dev secondary on loopback with the
# same root token (after activation the secondary accepts the primary's tokens), stops both on
# exit, and waits until both answer. Sets P, S (base URLs), ROOT and LOG_DIR.
# Ports: FERRY_PRIMARY_PORT (default 8200) and FERRY_SECONDARY_PORT (default 8300); each cluster
# port is the API port + 1. The ports are checked before anything starts: a busy port given in
# FERRY_*_PORT stops the script with a message naming it; a busy default port is replaced by free
# ports (printed), so another server on 8200 never answers in place of the demo's own.
PRIMARY_PORT="${FERRY_PRIMARY_PORT:-8200}"
SECONDARY_PORT="${FERRY_SECONDARY_PORT:-8300}"
busy="$(node examples/rest/free-ports.mjs busy "$PRIMARY_PORT" "$((PRIMARY_PORT + 1))" "$SECONDARY_PORT" "$((SECONDARY_PORT + 1))")"
if [ -n "$busy" ]; then
  if [ -n "${FERRY_PRIMARY_PORT:-}${FERRY_SECONDARY_PORT:-}" ]; then
    echo "port $busy on 127.0.0.1 is already in use (the demo needs $PRIMARY_PORT-$((PRIMARY_PORT + 1)) and $SECONDARY_PORT-$((SECONDARY_PORT + 1))); stop what uses it or choose other FERRY_PRIMARY_PORT / FERRY_SECONDARY_PORT" >&2
    exit 1
  fi
  PRIMARY_PORT="$(node examples/rest/free-ports.mjs pair)"
  SECONDARY_PORT="$(node examples/rest/free-ports.mjs pair)"
  while [ $((SECONDARY_PORT - PRIMARY_PORT)) -lt 2 ] && [ $((PRIMARY_PORT - SECONDARY_PORT)) -lt 2 ]; do
    SECONDARY_PORT="$(node examples/rest/free-ports.mjs pair)"
  done
  echo "port $busy on 127.0.0.1 is already in use: using free ports $PRIMARY_PORT (primary) and $SECONDARY_PORT (secondary) instead" >&2
fi
P="http://127.0.0.1:$PRIMARY_PORT"
S="http://127.0.0.1:$SECONDARY_PORT"
ROOT="${FERRY_DEMO_ROOT_TOKEN:-demo-root}"
LOG_DIR="$(mktemp -d)"
[ -f dist/server/cli/main.js ] || npm run build >/dev/null

node bin/ferry.js server -dev -dev-no-store-token -dev-root-token-id="$ROOT" -dev-listen-address="${P#http://}" >"$LOG_DIR/primary.log" 2>&1 &
P_PID=$!
node bin/ferry.js server -dev -dev-no-store-token -dev-root-token-id="$ROOT" -dev-listen-address="${S#http://}" >"$LOG_DIR/secondary.log" 2>&1 &
S_PID=$!
trap 'kill $P_PID $S_PID 2>/dev/null || true' EXIT

# wait_healthy URL PID LOG: waits until the server started as PID answers; stops if it exited
# (e.g. a port taken in the meantime), showing the end of its log.
wait_healthy() {
  for _ in $(seq 1 150); do
    if ! kill -0 "$2" 2>/dev/null; then
      echo "the server for $1 exited; the end of its log ($3):" >&2
      tail -n 5 "$3" >&2
      exit 1
    fi
    curl -sf "$1/v1/sys/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "no server answers at $1; logs in $LOG_DIR" >&2
  exit 1
}
wait_healthy "$P" "$P_PID" "$LOG_DIR/primary.log"
wait_healthy "$S" "$S_PID" "$LOG_DIR/secondary.log"
