#!/usr/bin/env bash
# CI check of the Linux installer, as root on Debian/Ubuntu, with or without a display:
# build the bundle and the .deb, install the .deb with apt-get, run the installed program
# (--version, --smoke, check --help), then purge it again, also when a step failed.
#
#   PATH=".venv/bin:$PATH" packaging/linux/ci-check.sh
#
# python3 on PATH must have mailgui and PyInstaller installed (`pip install -e .[package]`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export LANG="${LANG:-C.UTF-8}"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
fi

step() { echo "ci-check: $*"; }

if dpkg -s mailgui >/dev/null 2>&1; then
    echo "ci-check: a mailgui package is already installed; refusing to replace it" >&2
    exit 1
fi

start=$(date +%s)
rm -f dist/mailgui_*.deb
PYTHON="${PYTHON:-python3}" packaging/linux/build-deb.sh
deb=(dist/mailgui_*.deb)

purge() {
    if dpkg -s mailgui >/dev/null 2>&1; then
        step "purge"
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq mailgui >/dev/null || true
    fi
}
trap purge EXIT

step "apt-get install ./${deb[0]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./${deb[0]}" >/dev/null

step "/usr/bin/mailgui --version"
/usr/bin/mailgui --version

step "/usr/bin/mailgui --smoke"
/usr/bin/mailgui --smoke

step "/usr/bin/mailgui check --help"
/usr/bin/mailgui check --help >/dev/null

purge
trap - EXIT
if dpkg -s mailgui >/dev/null 2>&1 || [ -e /opt/mailgui ] || [ -e /usr/bin/mailgui ]; then
    echo "ci-check: mailgui still installed after purge" >&2
    exit 1
fi
step "ok: built, installed, ran and purged in $(( $(date +%s) - start )) s"
