#!/usr/bin/env bash
# `npm run fuzz`: every fuzz target for BFLY_FUZZ_SECS seconds each
# (default 60), printing executions per target. Crashing inputs are saved
# under tools/fuzz/crashes/<target>/; add each to tools/fuzz/corpus/<target>/ with a
# regression test once fixed. BFLY_FUZZ_SEED repeats a run.
set -euo pipefail
cd "$(dirname "$0")/.."
export BFLY_FUZZ_SECS="${BFLY_FUZZ_SECS:-60}"
# Optimised, without the addon's LTO, in its own target dir (builds in a minute or two).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/fuzz}" CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
run() { cargo test --release -q -p "$1" --test "$2" -- --nocapture --test-threads 1 2>&1 | grep -oE 'fuzz [a-z0-9_]+: .*|panicked.*|FAILED.*' ; }
run bfly-net fuzz_campaign
run bfly-cluster fuzz_envelope
run bfly-cluster fuzz_term
run bfly-pattern fuzz_pattern
npx tsx tools/fuzz/codec.ts "$BFLY_FUZZ_SECS"
npx tsx tools/fuzz/http.ts "$BFLY_FUZZ_SECS"
