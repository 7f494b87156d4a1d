#!/usr/bin/env bash
# A disposable MariaDB server for tests: no systemd, its own data directory,
# a reserved loopback port (scripts/test_port.sh: the server keeps its lock for its
# life), a real user with a password and rights on one database.
#
#   scripts/mariadb.sh start DIR   # prints `export WEFT_TEST_MARIADB_...=` lines
#   scripts/mariadb.sh stop DIR    # stops the server by its recorded PID
#   scripts/mariadb.sh restart DIR # starts the same server again (data, port, user)
#
# The test command evals the output of `start` and always calls `stop`.
set -euo pipefail

cmd=${1:?usage: mariadb.sh start|stop|restart DIR}
dir=${2:?usage: mariadb.sh start|stop|restart DIR}

. "$(dirname "$0")/test_port.sh"

# Starts mariadbd on $dir's data directory and $port, and waits until it answers.
launch() {
  mariadbd --no-defaults --user=root --datadir="$dir/data" --socket="$dir/sock" \
    --pid-file="$dir/pid" --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
    --max-connections=500 --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    --ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server.pem" --ssl-key="$dir/tls/server.key" \
    --log-error="$dir/err" >/dev/null 2>&1 &
  echo $! >"$dir/mariadbd.pid"
  for _ in $(seq 1 300); do
    if mariadb-admin --no-defaults --socket="$dir/sock" --user=root ping >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$dir/mariadbd.pid")" 2>/dev/null; then
      echo "mariadb.sh: mariadbd exited during start-up:" >&2; tail -20 "$dir/err" >&2; exit 1
    fi
    sleep 0.1
  done
  mariadb-admin --no-defaults --socket="$dir/sock" --user=root ping >/dev/null 2>&1 ||
    { echo "mariadb.sh: mariadbd did not answer within 30 s" >&2; tail -20 "$dir/err" >&2; exit 1; }
}

stop_server() {
  [ -f "$dir/mariadbd.pid" ] || return 0
  pid=$(cat "$dir/mariadbd.pid")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "mariadb.sh: mariadbd $pid did not stop in 30 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

case "$cmd" in
start)
  command -v mariadbd >/dev/null || { echo "mariadb.sh: mariadbd not installed (run scripts/setup.sh)" >&2; exit 1; }
  rm -rf "$dir" && mkdir -p "$dir/data"
  dir=$(cd "$dir" && pwd)
  mariadb-install-db --no-defaults --user=root --datadir="$dir/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 ||
    { echo "mariadb.sh: mariadb-install-db failed, see $dir/install.log" >&2; cat "$dir/install.log" >&2; exit 1; }
  # TLS: a throw-away CA and server certificate, so the tests can reach the
  # server with [database] tls_ca_file (and see a wrong CA refused).
  mkdir -p "$dir/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=weft-test-mariadb-ca" \
    -keyout "$dir/tls/ca.key" -out "$dir/tls/ca.pem" >/dev/null 2>&1
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/tls/server.key" -out "$dir/tls/server.csr" >/dev/null 2>&1
  printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/tls/ext"
  openssl x509 -req -in "$dir/tls/server.csr" -CA "$dir/tls/ca.pem" -CAkey "$dir/tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/tls/ext" -out "$dir/tls/server.pem" >/dev/null 2>&1
  # Another CA that signed nothing the server has.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=weft-test-other-ca" \
    -keyout "$dir/tls/other-ca.key" -out "$dir/tls/other-ca.pem" >/dev/null 2>&1
  chmod 600 "$dir"/tls/*.key
  weft_test_port port
  echo "$port" >"$dir/port"
  launch
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$password" >"$dir/password"
  chmod 600 "$dir/password"
  mariadb --no-defaults --socket="$dir/sock" --user=root <<SQL
CREATE USER 'weft'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`weft\\_%\`.* TO 'weft'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`weft\`.* TO 'weft'@'127.0.0.1';
CREATE DATABASE weft CHARACTER SET utf8mb4;
SQL
  echo "export WEFT_TEST_MARIADB_URL=mariadb://weft@127.0.0.1:$port/weft"
  echo "export WEFT_TEST_MARIADB_PASSWORD_FILE=$dir/password"
  echo "export WEFT_TEST_MARIADB_ROOT_SOCKET=$dir/sock"
  echo "export WEFT_TEST_MARIADB_TLS_CA=$dir/tls/ca.pem"
  echo "export WEFT_TEST_MARIADB_OTHER_CA=$dir/tls/other-ca.pem"
  ;;
stop)
  stop_server
  ;;
restart)
  # The same server again (data, port, password), e.g. after `stop`: a test that takes
  # its database away for a while (tests/cluster/cluster_failover_test).
  [ -f "$dir/port" ] || { echo "mariadb.sh: $dir holds no server started by this script" >&2; exit 1; }
  dir=$(cd "$dir" && pwd)
  port=$(cat "$dir/port")
  stop_server
  # Hold the port's test lock again for the server's life (scripts/test_port.sh).
  lock_dir=${WEFT_TEST_PORT_DIR:-/tmp/weft-test-ports}
  mkdir -p "$lock_dir" && exec {lock_fd}>>"$lock_dir/$port.lock" && flock -n "$lock_fd" ||
    echo "mariadb.sh: the test lock of port $port is held by another process" >&2
  launch
  ;;
*) echo "usage: mariadb.sh start|stop|restart DIR" >&2; exit 2 ;;
esac
