#!/usr/bin/env bash
# Property-based fuzzing of the JSON API with schemathesis (PyPI): a fresh demo server on SQLite, every operation
# of /api/v1/openapi.json called with generated valid and invalid inputs as the admin (the widest scope), and the
# run fails on any 5xx: bad input must get a 4xx naming the field, never a server error (DESIGN.md §4).
# DELETE is left out so the run keeps the data it tests against. Usage: scripts/api-fuzz.sh [wangge binary]
# [examples per operation, default 10]. The seed is fixed (WANGGE_FUZZ_SEED) so CI is repeatable; run with
# another seed to explore further.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/target/debug/wangge}"
examples="${2:-10}"
command -v st >/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'

data="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
password="fuzz-admin-$RANDOM-pass"
WANGGE_ADMIN_PASSWORD="$password" "$bin" serve --demo --events --scale small --data "$data" \
  --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do curl -fs "$base/api/v1/openapi.json" >/dev/null 2>&1 && break; sleep 0.5; done
token="$(curl -fs -X POST "$base/api/v1/session" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" | python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')"

# From the temporary directory: schemathesis keeps its cache (.schemathesis/) in the working directory.
(cd "$data" && st run "$base/api/v1/openapi.json" -H "Authorization: Bearer $token" \
  --checks not_a_server_error --phases examples,coverage,fuzzing -n "$examples" --workers 2 \
  --exclude-method DELETE --no-color --seed "${WANGGE_FUZZ_SEED:-20261203}")
# The server itself must not have logged a panic while being fuzzed.
if grep -q "panicked" "$data/serve.log"; then
  grep -n -A5 "panicked" "$data/serve.log" | head -40
  echo "api-fuzz: the server panicked"; exit 1
fi
