#!/usr/bin/env bash
# Build the PyInstaller bundle from packaging/mailgui.spec (Linux and macOS; Windows has
# packaging/windows/build.ps1). Output: dist/mailgui/ (and dist/mailgui.app on macOS).
#
#   PYTHON=.venv/bin/python packaging/build-bundle.sh
#
# PYTHON is an interpreter with mailgui and PyInstaller installed (`pip install -e .[package]`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
cd "$ROOT"

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/mailgui.spec
seconds=$(( $(date +%s) - start ))

size_mb=$(du -sm dist/mailgui | cut -f1)
echo "bundle: dist/mailgui ${size_mb} MB, built in ${seconds} s"
if [ -d dist/mailgui.app ]; then
    echo "app: dist/mailgui.app $(du -sm dist/mailgui.app | cut -f1) MB"
fi
