#!/usr/bin/env bash
# 0002-format.sh — the tree is clang-formatted (make format-check) and the
# build has no warnings under -Wall -Wextra -Werror (it would not link else).
# needs: none (no server: tests/run.sh starts no stack for it)
source "$(dirname "$0")/lib/lib.sh"
cd "$ROOT"
if ! command -v clang-format >/dev/null; then
	not_ok "clang-format present" "clang-format missing (scripts/deps.sh installs it)"
elif ! git rev-parse --git-dir >/dev/null 2>&1; then
	ok "format-check skipped outside a git checkout"
else
	check "make format-check" make -s format-check
fi
finish
