#!/usr/bin/env bash
# CI check of the Linux installer, as root on Debian/Ubuntu, with or without a display:
# build the bundle and the .deb, install the .deb with apt-get, run the installed program
# (--version, --smoke, check --help), then purge it again, also when a step failed.
# --smoke runs twice: as is (no keyring: only proves the backend loads), and inside a private
# D-Bus session with a fresh, unlocked gnome-keyring, where MAILGUI_SMOKE_REQUIRE_KEYRING=1 makes
# it store, read back and delete a throwaway password through the Secret Service.
# Needs (Debian) dbus and gnome-keyring for that second run.
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
for tool in dbus-run-session gnome-keyring-daemon timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ci-check: $tool is missing (apt-get install dbus gnome-keyring coreutils)" >&2
        exit 1
    fi
done

start=$(date +%s)
rm -f dist/mailgui_*.deb
PYTHON="${PYTHON:-python3}" packaging/linux/build-deb.sh
deb=(dist/mailgui_*.deb)

keyring_root=""
purge() {
    if [ -n "$keyring_root" ]; then
        rm -rf "$keyring_root"
        keyring_root=""
    fi
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
timeout 60 /usr/bin/mailgui --smoke

# A fresh home for the keyring, so no keyring from an earlier run (other password) interferes;
# gnome-keyring refuses a runtime folder that others can read.
keyring_root="$(mktemp -d)"
for dir in home data cache config run; do
    mkdir -m 700 "$keyring_root/$dir"
done
step "/usr/bin/mailgui --smoke (private Secret Service, password round trip required)"
# --unlock creates the login keyring with the password read from stdin and unlocks it; the
# launcher returns once the daemon is up. The daemon ends with the session bus.
# The throwaway keyring password travels in the environment (not on a command line) and
# printf is a shell builtin, so it never shows in a process list.
keyring_password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
HOME="$keyring_root/home" XDG_DATA_HOME="$keyring_root/data" \
    XDG_CACHE_HOME="$keyring_root/cache" XDG_CONFIG_HOME="$keyring_root/config" \
    XDG_RUNTIME_DIR="$keyring_root/run" MAILGUI_SMOKE_REQUIRE_KEYRING=1 \
    CI_KEYRING_PASSWORD="$keyring_password" \
    timeout 60 dbus-run-session -- sh -c '
        printf %s "$CI_KEYRING_PASSWORD" \
            | timeout 15 gnome-keyring-daemon --unlock --components=secrets >/dev/null \
            || { echo "ci-check: gnome-keyring-daemon did not start" >&2; exit 1; }
        unset CI_KEYRING_PASSWORD PYTHON_KEYRING_BACKEND
        exec /usr/bin/mailgui --smoke'
unset keyring_password
rm -rf "$keyring_root"
keyring_root=""

step "/usr/bin/mailgui check --help"
/usr/bin/mailgui check --help >/dev/null

purge
trap - EXIT
if dpkg -s mailgui >/dev/null 2>&1 || [ -e /opt/mailgui ] || [ -e /usr/bin/mailgui ]; then
    echo "ci-check: mailgui still installed after purge" >&2
    exit 1
fi
step "ok: built, installed, ran and purged in $(( $(date +%s) - start )) s"
