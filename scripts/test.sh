#!/usr/bin/env bash
# Builds everything and runs every test: the README's test command, and what CI runs.
#   1. main build (RelWithDebInfo): unit, integration (real nats-server, gRPC) and install tests
#   2. unit tests under AddressSanitizer + UBSan
#   3. the concurrency tests under ThreadSanitizer: the memory store, and the nats-js-kv and
#      redis-sentinel stores against real servers
#   4. the libFuzzer targets, 20 s each on the seed corpus (clang; UBSan findings fail them too)
# Build trees go to $EH_BUILD_ROOT (default: ./build); ccache keeps rebuilds cheap.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=${EH_BUILD_ROOT:-$root/build}
jobs=${EH_JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/eventhistory-ccache}

bash "$root/scripts/install-deps.sh"

summary=()
passed=0
failed=0
# run_ctest NAME BUILD_DIR CTEST_ARGS...: runs ctest, keeps its closing line, counts the tests.
run_ctest() {
  local name=$1 dir=$2
  shift 2
  local log="$dir/ctest-$name.log" rc=0
  ctest --test-dir "$dir" --output-on-failure --no-tests=error "$@" 2>&1 | tee "$log" || rc=$?
  local line
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | tail -n1 || true)
  if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  else
    failed=$((failed + 1))
  fi
  summary+=("$name (${SECONDS}s since start): ${line:-no ctest summary (rc=$rc)}")
}

configure() { # configure DIR EXTRA_CMAKE_ARGS...
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}

echo "== main build"
configure "$builds/main"
cmake --build "$builds/main" -j "$jobs"
run_ctest main "$builds/main" -j 2

echo "== unit tests under ASan + UBSan"
configure "$builds/asan" -DEH_SANITIZE=address -DEH_BUILD_APPS=OFF -DEH_BUILD_EXAMPLES=OFF
cmake --build "$builds/asan" -j "$jobs"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_ctest asan "$builds/asan" -L unit -E "install_consume|compile_fail"

echo "== concurrency tests under TSan"
# With the apps' dependencies (cnats, hiredis), but only the concurrency tests are built.
configure "$builds/tsan" -DEH_SANITIZE=thread -DEH_BUILD_EXAMPLES=OFF
cmake --build "$builds/tsan" -j "$jobs" --target eh-concurrency-tests eh-integration-store-concurrency
TSAN_OPTIONS=halt_on_error=1 run_ctest tsan "$builds/tsan" -L concurrency

echo "== fuzzing (libFuzzer, bounded)"
CXX=clang++ configure "$builds/fuzz" -DEH_BUILD_FUZZ=ON -DEH_BUILD_APPS=OFF -DEH_BUILD_EXAMPLES=OFF
cmake --build "$builds/fuzz" -j "$jobs" --target eh-fuzz
run_ctest fuzz "$builds/fuzz" -L fuzz

echo
printf '%s\n' "${summary[@]}"
echo "eventhistory: $passed passed, $failed failed"
((failed == 0))
