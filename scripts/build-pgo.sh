#!/usr/bin/env bash
# Builds target/pgo/tokentrail: the release binary optimised by profiles of its own runs
# (profile-guided optimisation, PGO). The compiler lays out and inlines the code by which
# branches the runs took: 4-21% less time than `cargo build --release` on nginx, 10-12%
# on CloudTrail, 3-6% on Entra ID, nothing on Okta (docs/performance.md, "A binary optimised
# by its own runs").
#
# The runs are the commands a responder runs, on samples/ and the test fixtures: the
# profile needs which way each branch goes, not volume (a profile of 900 MB of generated
# logs made a binary within a few percent of these few seconds of runs).
#
# Cost: two release builds of their own (about 6 minutes each on two cores; 4.6 GB in all
# under target/pgo/), a few seconds of runs. Needs the toolchain's own llvm-profdata:
#   rustup component add llvm-tools
# Usage: scripts/build-pgo.sh                    (from anywhere in the repository)
#        scripts/build-pgo.sh --runs-only BINARY (the runs alone, with any build: CI)
set -euo pipefail
if [ "${1:-}" = "--runs-only" ]; then
    given=$(realpath "${2:?--runs-only needs the binary to run}")
fi
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/pgo
logs=samples/logs
geo=(--geoip samples/geoip)

# The runs the profile is made of: `runs BINARY FOLDER` (outputs into FOLDER).
runs() {
    local bin=$1 out=$2
    rm -rf "$out"
    mkdir -p "$out"
    run() {
        # Exit 1 is "found something" (hunt, score): a run that fails otherwise is a bug
        # here (an option renamed, a sample moved).
        local rc=0
        "$bin" "$@" > /dev/null 2>> "$out/stderr" || rc=$?
        if [ "$rc" -gt 1 ]; then
            echo "build-pgo: tokentrail $* exited $rc (see $out/stderr)" >&2
            exit 1
        fi
    }
    for format in table json md html; do
        run hunt --format "$format" "$logs" "${geo[@]}"
    done
    run hunt -q --format json --memory-budget 1 "$logs" "${geo[@]}"
    run timeline --credential AKIAQ3EGALICE0260302 --format csv "$logs" "${geo[@]}"
    run score "$logs" "${geo[@]}"
    run stats --format json "$logs"
    run credentials --format csv "$logs"
    run credentials --by principal --format csv "$logs"
    run secrets "$logs"
    run ingest "$logs" -o "$out/events.ndjson"
    run ingest "$logs" -o "$out/events.parquet"
    run hunt -q --format json "$out/events.parquet" "${geo[@]}"
    for source in nginx cloudtrail okta auth0 entra; do
        run stats "tests/fixtures/$source"
        run credentials "tests/fixtures/$source"
        run hunt -q --format json "tests/fixtures/$source"
    done
}

# CI runs them with the test build, so that they keep working as the options change.
if [ "${1:-}" = "--runs-only" ]; then
    runs "$given" "$work/runs-only"
    echo "build-pgo: the runs work with $given" >&2
    exit 0
fi

host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
    echo "build-pgo: no $profdata; install it with: rustup component add llvm-tools" >&2
    exit 2
fi

profiles=$work/profiles
rm -rf "$profiles"
mkdir -p "$profiles"

echo "build-pgo: 1/4 instrumented build" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-generate=$profiles" CARGO_TARGET_DIR=$work/instrumented \
    cargo build --release --locked
instrumented=$work/instrumented/release/tokentrail

echo "build-pgo: 2/4 runs" >&2
# Build scripts and proc macros of the first build wrote profiles too: the binary's alone.
rm -rf "$profiles"
mkdir -p "$profiles"
runs "$instrumented" "$work/runs"

echo "build-pgo: 3/4 merge" >&2
"$profdata" merge -o "$work/merged.profdata" "$profiles"
# Named by its content: cargo rebuilds on a change of flags, not of the file they name, so
# a new profile under the old name would leave the crates that did not change optimised
# by the old one.
sum=$(cksum < "$work/merged.profdata" | cut -d' ' -f1)
profile=$work/tokentrail-$sum.profdata
rm -f "$work"/tokentrail-*.profdata
mv "$work/merged.profdata" "$profile"

echo "build-pgo: 4/4 optimised build" >&2
RUSTFLAGS="${RUSTFLAGS:-} -Cprofile-use=$profile" \
    CARGO_TARGET_DIR=$work/optimised cargo build --release --locked
cp "$work/optimised/release/tokentrail" "$work/tokentrail"

# The same program: the same report on the samples from both builds.
out=$work/runs
"$instrumented" hunt --format json "$logs" "${geo[@]}" > "$out/instrumented.json" 2> /dev/null || true
"$work/tokentrail" hunt --format json "$logs" "${geo[@]}" > "$out/optimised.json" 2> /dev/null || true
if ! cmp -s "$out/instrumented.json" "$out/optimised.json"; then
    echo "build-pgo: the two builds' reports on samples/ differ ($out)" >&2
    exit 1
fi
echo "$work/tokentrail"
