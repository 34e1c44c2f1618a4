#!/usr/bin/env bash
# `npm test`: every check, in the order that fails fastest. Prints the
# cargo and ava summaries; .ci/run adds them up.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace 2>&1 | tee target/cargo-test.log
npx tsc --noEmit -p .
npx biome check .
# Import rules of src/ (layers, no cycles): .dependency-cruiser.cjs.
npx depcruise src index.ts
bash scripts/ensure-chromium.sh
bash scripts/ensure-cluster-tools.sh
npx ava 2>&1 | tee target/ava.log
