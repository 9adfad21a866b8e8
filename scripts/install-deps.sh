#!/usr/bin/env bash
# Installs every build and test dependency from Debian's packages. Idempotent; run as root.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git clang libclang-rt-14-dev
  libboost-dev librange-v3-dev libsimdjson-dev doctest-dev
  libnats-dev nats-server libhiredis-dev redis-server redis-sentinel
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libspdlog-dev libcli11-dev libyaml-cpp-dev libre2-dev libssl-dev libsqlite3-dev
  curl gnuplot-nox
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
