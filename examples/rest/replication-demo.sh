#!/usr/bin/env bash
# The seed's replication walkthrough with `npx ferry` in place of `vault`: a dev primary and a dev
# secondary on loopback, activation, a secret written on the primary and read on the secondary,
# a write on the secondary forwarded to the primary, and both clusters' replication status.
# Ports: FERRY_PRIMARY_PORT (default 8200) and FERRY_SECONDARY_PORT (default 8300); each cluster
# port is the API port + 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
source examples/rest/dev-pair.sh
export VAULT_TOKEN="$ROOT"
primary() { VAULT_ADDR="$P" npx --no-install ferry "$@"; }
secondary() { VAULT_ADDR="$S" npx --no-install ferry "$@"; }

echo "==> primary: npx ferry write -f sys/replication/primary/enable"
primary write -f sys/replication/primary/enable
echo "==> primary: npx ferry write sys/replication/primary/secondary-token id=dc2"
TOKEN="$(primary write -field=wrapping_token sys/replication/primary/secondary-token id=dc2)"
echo "(activation token: a signed JWT of ${#TOKEN} characters)"
echo "==> secondary: npx ferry write sys/replication/secondary/enable token=..."
secondary write sys/replication/secondary/enable token="$TOKEN"

for _ in $(seq 1 100); do
  state="$(secondary read -field=state sys/replication/status 2>/dev/null || true)"
  [ "$state" = "stream-wals" ] && break
  sleep 0.1
done

echo "==> primary: npx ferry write secret/data/demo data=..."
curl -sf -H "X-Vault-Token: $ROOT" -X POST "$P/v1/secret/data/demo" -d '{"data":{"greeting":"hello from the primary"}}' >/dev/null
for _ in $(seq 1 50); do
  secondary read secret/data/demo >/dev/null 2>&1 && break
  sleep 0.1
done
echo "==> secondary: npx ferry read secret/data/demo"
secondary read -format=json secret/data/demo | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log("greeting on the secondary:",JSON.parse(s).data.data.greeting))'
echo "==> secondary: a write forwarded to the primary"
curl -sf -H "X-Vault-Token: $ROOT" -X POST "$S/v1/secret/data/from-dc2" -d '{"data":{"site":"dc2"}}' >/dev/null
primary read -format=json secret/data/from-dc2 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log("site on the primary:",JSON.parse(s).data.data.site))'
echo "==> primary status"
primary read sys/replication/status
echo "==> secondary status"
secondary read sys/replication/status
