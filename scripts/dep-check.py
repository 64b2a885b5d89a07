#!/usr/bin/env python3
"""Dependency check against crates.io (issue #12): no locked crate version may be yanked.

The RustSec advisory database (what `cargo audit` reads) lives on GitHub, which this project's machines cannot
reach; crates.io can be reached, and a version its authors yanked (the usual response to a vulnerability or a
broken release) is the signal the registry itself gives. Every `crates.io` package of `Cargo.lock` and
`fuzz/Cargo.lock` is looked up in the sparse index (`CARGO_REGISTRIES_CRATES_IO_INDEX`-style base from
WANGGE_CRATES_INDEX, default https://index.crates.io). A yanked version fails the check; an unreachable
registry is reported and skipped, so an offline machine can still run the suite.

    python3 scripts/dep-check.py [LOCKFILE ...]
"""
import concurrent.futures
import json
import os
import sys
import tomllib
import urllib.error
import urllib.request

INDEX = os.environ.get("WANGGE_CRATES_INDEX", "https://index.crates.io").rstrip("/")
REGISTRY = "registry+https://github.com/rust-lang/crates.io-index"


def index_path(name: str) -> str:
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[0:2]}/{n[2:4]}/{n}"


def locked(paths):
    out = set()
    for p in paths:
        with open(p, "rb") as f:
            lock = tomllib.load(f)
        for pkg in lock.get("package", []):
            if pkg.get("source") == REGISTRY:
                out.add((pkg["name"], pkg["version"]))
    return sorted(out)


def yanked(name: str, version: str):
    """True or False for the version; None when the index could not be read."""
    url = f"{INDEX}/{index_path(name)}"
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            body = r.read().decode("utf-8")
    except (urllib.error.URLError, TimeoutError, OSError):
        return None
    for line in body.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry.get("vers") == version:
            return bool(entry.get("yanked"))
    # A locked version the index does not list at all was removed: as bad as yanked.
    return True


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = sys.argv[1:] or [os.path.join(root, "Cargo.lock"), os.path.join(root, "fuzz", "Cargo.lock")]
    pkgs = locked([p for p in paths if os.path.exists(p)])
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda p: (p, yanked(*p)), pkgs))
    bad = [p for p, y in results if y]
    unknown = [p for p, y in results if y is None]
    if len(unknown) == len(results) and results:
        print(f"dep-check: the crates.io index ({INDEX}) is unreachable; {len(results)} crates not checked")
        return 0
    for name, version in unknown:
        print(f"dep-check: could not read the index entry of {name} {version}")
    for name, version in bad:
        print(f"dep-check: {name} {version} is yanked on crates.io: update it (cargo update -p {name})")
    print(f"dep-check: {len(results) - len(unknown)} locked crates checked, {len(bad)} yanked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
