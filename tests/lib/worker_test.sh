# tests/lib/worker_test.sh — the prologue of a worker test (04xx, 05xx):
#
#   source "$(dirname "$0")/lib/worker_test.sh" [--test-sink]
#
# sources lib.sh, worker.sh and faults.sh and calls w_init with the test's
# number (its temp dir $W and the EXIT trap). --test-sink: the helpers start
# build/ksink-test, the worker with the test-only MemorySink (w_test_sink).
# shellcheck disable=SC1091
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/worker.sh"
source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"
w_init "$(basename "$0" | cut -d- -f1)"
[ "${1:-}" = --test-sink ] && w_test_sink
