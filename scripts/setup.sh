#!/usr/bin/env bash
# Install everything kwsc needs on Debian 12 with Python 3.11: Debian packages (as root or via
# sudo: the host compiler, the Cortex-M toolchain and QEMU for the firmware, espeak-ng for
# synthetic speech), then a virtualenv
# in .venv holding kwsc (its C core compiled by pip through CMake) and the test and benchmark
# tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_PACKAGES=(build-essential cmake make python3-dev python3-venv
              gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
              espeak-ng flite festival festlex-cmu festlex-ifd
              festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts festvox-ca-ona-hts
              festvox-czech-dita festvox-czech-krb festvox-czech-machac festvox-czech-ph
              festvox-italp16k festvox-itapc16k festvox-ru festvox-suopuhe-lj festvox-suopuhe-mv)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kwsc needs Python >= 3.11")'
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
echo "setup: installing kwsc and its test tools into .venv (compiles csrc/)"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check '.[test,bench]'
echo "setup: done; run .venv/bin/kwsc --help"
