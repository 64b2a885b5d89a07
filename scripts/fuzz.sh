#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of every parser: 身份证号, phone/name/register fields, GeoJSON
# boundaries, coordinates, resident/house lists as CSV and XLSX, Open311 forms (issue #12). Built the way
# cargo-fuzz builds (sanitizer-coverage passes, --cfg fuzzing, an explicit --target so build scripts stay
# uninstrumented) on the stable toolchain, without ASan, which needs nightly. Each target runs SECONDS (default
# 15) from the committed seeds in fuzz/seeds/TARGET; a crash fails the run and leaves its input in
# fuzz/artifacts/TARGET/ to add as a regression seed once fixed. The libFuzzer seed
# is fixed (WANGGE_FUZZ_SEED, default 1) so a run is repeatable apart from how far the time lets it get.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-15}
triple=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
cargo build --locked --release --bins --target "$triple"
seed=${WANGGE_FUZZ_SEED:-1}
status=0
work=""
trap 'rm -rf "$work" "$work.log"' EXIT
for t in idcard phone_name_fields geojson_boundary coordinates resident_rows xlsx_rows open311_form; do
  work=$(mktemp -d)
  mkdir -p "artifacts/$t"
  [ -d "seeds/$t" ] && cp -r "seeds/$t/." "$work/"
  echo "fuzz $t for ${secs}s"
  if ! "target/$triple/release/$t" "$work" -max_total_time="$secs" -rss_limit_mb=1024 -max_len=4096 \
       -artifact_prefix="artifacts/$t/" -seed="$seed" -print_final_stats=1 2>"$work.log"; then
    tail -40 "$work.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "$work.log" | tail -2 || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
