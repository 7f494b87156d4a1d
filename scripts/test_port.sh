# Sourced (not run) by the scripts that start processes on loopback ports
# (scripts/mariadb.sh, scripts/bench_common.sh): the shell side of
# tests/support/test_port.hpp, with the same guarantees and the same lock files,
# so scripts and test processes never hand out one port twice.
#
#   weft_test_port VAR   sets VAR to a loopback port reserved for the life of this
#                        shell and of the processes it starts afterwards
#
# A port is: outside the kernel's ephemeral range (ports 10000..65535 minus
# /proc/sys/net/ipv4/ip_local_port_range), locked with flock(1) on
# ${WEFT_TEST_PORT_DIR:-/tmp/weft-test-ports}/PORT.lock through a descriptor of this
# shell (children inherit it, so a server started here keeps the lock after the
# script exits), and used by no TCP socket at that moment (ss, or a bind() by
# python3 where there is no ss). Never call it in $(…): the lock would die with the
# subshell. Needs flock (util-linux).

# Whether no TCP socket uses local port $1 (listening, connected, in TIME_WAIT):
# ss(8) when there is one (fast), else a bind() by python3.
_weft_port_unused() {
  if command -v ss >/dev/null; then
    [ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
  else
    python3 -c '
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
' "$1"
  fi
}

weft_test_port() {
  # Locals carry a prefix: printf -v must not set one of them instead of the caller's.
  local _wtp_var=${1:?usage: weft_test_port VAR}
  local _wtp_dir=${WEFT_TEST_PORT_DIR:-/tmp/weft-test-ports}
  mkdir -p "$_wtp_dir" 2>/dev/null && chmod 1777 "$_wtp_dir" 2>/dev/null
  local _wtp_lo=32768 _wtp_hi=60999
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r _wtp_lo _wtp_hi </proc/sys/net/ipv4/ip_local_port_range
  fi
  # The pool: 10000..lo-1 and hi+1..65535, walked from a random place.
  local _wtp_below=$((_wtp_lo > 10000 ? _wtp_lo - 10000 : 0))
  local _wtp_above=$((_wtp_hi < 65535 ? 65535 - _wtp_hi : 0))
  local _wtp_size=$((_wtp_below + _wtp_above))
  if [ "$_wtp_size" -le 0 ]; then
    echo "weft_test_port: no port outside the ephemeral range" >&2
    return 1
  fi
  local _wtp_start=$(((RANDOM * 32768 + RANDOM) % _wtp_size))
  local _wtp_i _wtp_index _wtp_port _wtp_fd
  for ((_wtp_i = 0; _wtp_i < _wtp_size; _wtp_i++)); do
    _wtp_index=$(((_wtp_start + _wtp_i) % _wtp_size))
    if [ "$_wtp_index" -lt "$_wtp_below" ]; then
      _wtp_port=$((10000 + _wtp_index))
    else
      _wtp_port=$((_wtp_hi + 1 + _wtp_index - _wtp_below))
    fi
    exec {_wtp_fd}>>"$_wtp_dir/$_wtp_port.lock" || continue
    if flock -n "$_wtp_fd" && _weft_port_unused "$_wtp_port"; then
      printf -v "$_wtp_var" '%s' "$_wtp_port"
      return 0
    fi
    exec {_wtp_fd}>&-
  done
  echo "weft_test_port: every port is reserved or in use (locks in $_wtp_dir)" >&2
  return 1
}
