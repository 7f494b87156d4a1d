#!/usr/bin/env bash
# Installs the Debian 12 packages Weft needs to build, test and run, when they
# are missing. Idempotent: takes well under a second when everything is there.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git python3
  libcaf-dev libsoci-dev libsoci-sqlite3-4.0 libsoci-mysql4.0
  libmariadb-dev libsqlite3-dev libtomlplusplus-dev libboost-test-dev libssl-dev
  libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  libedit-dev libxml2-dev
  mariadb-server mariadb-client
  qpdf poppler-utils tmux expect procps time bc
  tcpdump openssl
  libgumbo-dev libpango1.0-dev libcairo2-dev libzint-dev libjpeg62-turbo-dev
  fonts-dejavu-core fonts-noto-cjk fonts-hosny-amiri
  zbar-tools zxing-cpp-tools dmtx-utils weasyprint
  libsystemd-dev haproxy chromium python3-prometheus-client python3-requests lintian
  dpkg-dev file systemd
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
