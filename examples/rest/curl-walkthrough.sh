#!/usr/bin/env bash
# The seed's replication walkthrough over Ferry's (= Vault's) HTTP API with curl: a dev primary and a
# dev secondary on loopback, activation, a secret written on the primary and read on the secondary,
# a write on the secondary forwarded to the primary, and both clusters' replication status.
# The same steps with `npx ferry`: examples/rest/replication-demo.sh.
# Ports: FERRY_PRIMARY_PORT (default 8200) and FERRY_SECONDARY_PORT (default 8300); each cluster port
# is the API port + 1. Needs curl and node (node only starts the servers and reads JSON fields).
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/rest/dev-pair.sh

# api METHOD URL [JSON]: one authenticated call; fails the script on an HTTP error and prints the body.
api() {
  local body="${3:-}"
  if [ -n "$body" ]; then
    curl -sS --fail-with-body -H "X-Vault-Token: $ROOT" -H "Content-Type: application/json" -X "$1" "$2" -d "$body"
  else
    curl -sS --fail-with-body -H "X-Vault-Token: $ROOT" -X "$1" "$2"
  fi
}
# field PATH: reads a dotted path from the JSON on stdin (e.g. data.state).
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v?.[k];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }

echo "==> primary: curl -X POST $P/v1/sys/replication/primary/enable"
api POST "$P/v1/sys/replication/primary/enable" '{}' >/dev/null
echo "replication primary enabled"

echo "==> primary: curl -X POST $P/v1/sys/replication/primary/secondary-token -d '{\"id\":\"dc2\"}'"
TOKEN="$(api POST "$P/v1/sys/replication/primary/secondary-token" '{"id":"dc2"}' | field wrap_info.token)"
[ -n "$TOKEN" ] && [ "$TOKEN" != "undefined" ] || { echo "no activation token in the response" >&2; exit 1; }
echo "(activation token in wrap_info.token: a signed JWT of ${#TOKEN} characters)"

echo "==> secondary: curl -X POST $S/v1/sys/replication/secondary/enable -d '{\"token\":\"...\"}'"
api POST "$S/v1/sys/replication/secondary/enable" "{\"token\":\"$TOKEN\"}" >/dev/null
state=""
for _ in $(seq 1 100); do
  state="$(curl -sf "$S/v1/sys/replication/status" | field data.state || true)"
  [ "$state" = "stream-wals" ] && break
  sleep 0.1
done
echo "secondary state: $state"

echo "==> primary: curl -X POST $P/v1/secret/data/demo -d '{\"data\":{\"greeting\":...}}'"
api POST "$P/v1/secret/data/demo" '{"data":{"greeting":"hello from the primary"}}' >/dev/null
for _ in $(seq 1 50); do
  curl -sf -H "X-Vault-Token: $ROOT" "$S/v1/secret/data/demo" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "==> secondary: curl $S/v1/secret/data/demo"
echo "greeting on the secondary: $(api GET "$S/v1/secret/data/demo" | field data.data.greeting)"

echo "==> secondary: curl -X POST $S/v1/secret/data/from-dc2 (forwarded to the primary)"
api POST "$S/v1/secret/data/from-dc2" '{"data":{"site":"dc2"}}' >/dev/null
echo "site on the primary: $(api GET "$P/v1/secret/data/from-dc2" | field data.data.site)"

for side in primary secondary; do
  url="$P"; [ "$side" = secondary ] && url="$S"
  echo "==> $side: curl $url/v1/sys/replication/status"
  status="$(curl -sS --fail-with-body "$url/v1/sys/replication/status")"
  for f in mode state cluster_id merkle_root; do
    printf '%-12s %s\n' "$f" "$(echo "$status" | field "data.$f")"
  done
done
