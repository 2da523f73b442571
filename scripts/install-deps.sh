#!/usr/bin/env bash
# Installs the Debian packages lookout needs, and only those that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
# Usage: scripts/install-deps.sh [build|check|demo]   (default: check, the superset)
set -euo pipefail

purpose=${1:-check}

# Build: compiler, CMake and the libraries linked into liblookout; nats-server for the
# multi-site bus (tests and `lookout demo` start local servers).
build_pkgs=(build-essential cmake pkg-config
            libyaml-dev libcsv-dev libjansson-dev libsqlite3-dev libpcap-dev
            libcivetweb-dev libnats-dev nats-server)
# Check: test framework, sanitizer/fuzzer runtime, independent ASTERIX dissector,
# browser for the display test, Node for playwright-core.
check_pkgs=(libcmocka-dev clang libclang-rt-14-dev tshark chromium)

case "$purpose" in
  build|demo) wanted=("${build_pkgs[@]}") ;;
  check)      wanted=("${build_pkgs[@]}" "${check_pkgs[@]}") ;;
  *) echo "install-deps: unknown purpose '$purpose' (expected build, check or demo)" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# The browser test drives Chromium with playwright-core from npm: it needs node and npm. Any
# node will do (a machine may carry another vendor's nodejs package with npm bundled), so ask
# for Debian's only when the commands are missing.
if [ "$purpose" = check ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
