#!/usr/bin/env bash
# 0103-fuzz_smoke — runs each libFuzzer target (build-fuzz/fuzz-*, built by
# `make fuzz`) for 20 s: the converters and the REST API (fuzz-rest) must
# survive arbitrary bytes without a crash, a sanitizer report or a leak. The
# only allowed skip: clang missing.
# needs: none (no server: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/lib.sh"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if ! command -v clang >/dev/null; then
	ok "fuzz smoke (skipped: clang missing)"
	exit 0
fi
shopt -s nullglob
targets=("$ROOT"/build-fuzz/fuzz-avro "$ROOT"/build-fuzz/fuzz-json "$ROOT"/build-fuzz/fuzz-rest)
for t in "${targets[@]}"; do
	name=$(basename "$t")
	if [ ! -x "$t" ]; then
		not_ok "$name" "missing: run 'make fuzz' first"
		continue
	fi
	dir=$(mktemp -d "${KSINK_TEST_OUT:-/tmp}/$name.XXXXXX")
	check "$name runs 20 s clean" \
		"$t" -max_total_time="${KSINK_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 \
		-artifact_prefix="$dir/" -print_final_stats=0 "$dir" "$ROOT/tests/fuzz/corpus/${name#fuzz-}"
done
finish
