#!/usr/bin/env bash
# The test command (README): installs what is missing, builds, starts a
# disposable MariaDB server on a reserved loopback port, runs every test (the
# `mariadb` and multi-node ones included) and stops that server by its PID,
# also when tests fail. Extra arguments go to ctest (e.g. -R storage).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}

"$root/scripts/build.sh"

mdb_dir=$(mktemp -d /tmp/weft-mariadb.XXXXXX)
cleanup() { "$root/scripts/mariadb.sh" stop "$mdb_dir" || true; rm -rf "$mdb_dir"; }
trap cleanup EXIT

# No silent skipping: if MariaDB cannot be started, the test command fails here.
if ! env_lines=$("$root/scripts/mariadb.sh" start "$mdb_dir"); then
  echo "test: FAILED to start a disposable MariaDB server; the mariadb tests cannot run" >&2
  exit 1
fi
eval "$env_lines"
echo "test: disposable MariaDB at ${WEFT_TEST_MARIADB_URL}" >&2

cd "$build"
ctest --output-on-failure --timeout 900 -j"${WEFT_TEST_JOBS:-2}" "$@"
echo "test: the mariadb-labelled tests that ran:" >&2
ctest -N -L mariadb | tail -n +2 >&2
