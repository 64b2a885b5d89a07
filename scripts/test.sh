#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this): formatting, lints, the Rust tests on
# SQLite and PostgreSQL (and a streaming standby for the read-replica test), libFuzzer on the domain parsers,
# the benchmark scenarios in quick mode, schemathesis against the OpenAPI document, and the
# browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

step "services: PostgreSQL on 127.0.0.1:5432"
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is required at 127.0.0.1:5432 (set WANGGE_TEST_PG to use another)"; exit 1; }
# Databases left by an earlier interrupted run.
psql -h 127.0.0.1 -U postgres -d test -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'wangge_t_%'" 2>/dev/null |
  while read -r db; do psql -h 127.0.0.1 -U postgres -d test -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true; done

step "services: a streaming standby of it on 127.0.0.1:5433 (read-replica test)"
WANGGE_TEST_PG_REPLICA=$(bash scripts/pg-replica.sh start)
export WANGGE_TEST_PG_REPLICA
# Tests that need root or the standby fail here instead of saying "NOT RUN".
export WANGGE_REQUIRE_ALL_TESTS=1
trap 'bash scripts/pg-replica.sh stop' EXIT

step "tools: cargo-nextest, Chromium, CJK fonts, Playwright"
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
bash scripts/install-test-deps.sh

step "dependencies: no yanked crate version locked (crates.io index; scripts/dep-check.py)"
python3 scripts/dep-check.py

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (SQLite and PostgreSQL)"
cargo build --workspace --locked
cargo nextest run --workspace --locked --no-fail-fast

step "parser fuzzing (libFuzzer, 15 s per target; see scripts/fuzz.sh)"
bash scripts/fuzz.sh 15

step "benchmarks (quick)"
./target/debug/wangge bench --quick --json target/bench.json
# The same scenarios on PostgreSQL (the imports already measure both; the field day's baseline is SQLite's own).
WANGGE_BENCH_BACKEND=postgres WANGGE_BENCH_ONLY=grids,http,search,events,participation,life,services,command,assessment,data_requests \
  ./target/debug/wangge bench --quick --json target/bench-pg.json

step "API fuzzing (schemathesis: no 5xx for any generated input)"
bash scripts/api-fuzz.sh "$root/target/debug/wangge" 10

step "browser tests (headless Chromium)"
(cd web-tests && WANGGE_BIN="$root/target/debug/wangge" npm test)
