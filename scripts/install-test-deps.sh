#!/usr/bin/env bash
# Installs what the tests need beyond Rust: Debian's Chromium, the Noto CJK fonts (so Chinese pages render as
# glyphs, not boxes) and playwright-core from the npm registry for the browser tests in web-tests/, and moto's
# S3 server from PyPI for the attachment store test (crates/app/tests/attachments_s3.rs), and schemathesis for the API
# fuzzing run (scripts/api-fuzz.sh). Idempotent: when
# everything is already there it only checks and returns. Playwright never downloads a browser here:
# the tests drive /usr/bin/chromium.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

have_cjk_fonts() {
    [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && return 0
    command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
have_cjk_fonts || missing+=(fonts-noto-cjk)

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-test-deps: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ ! -d "$root/web-tests/node_modules/playwright-core" ]; then
    echo "install-test-deps: npm ci in web-tests/"
    (cd "$root/web-tests" && npm ci --no-audit --no-fund)
fi

if ! python3 -c 'import moto.server, flask' >/dev/null 2>&1; then
    echo "install-test-deps: moto[server] (an S3-compatible server) from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
fi

if ! command -v st >/dev/null 2>&1; then
    echo "install-test-deps: schemathesis (API fuzzing, scripts/api-fuzz.sh) from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi

echo "install-test-deps: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), Noto CJK fonts, playwright-core, moto S3 server ready"
