#!/usr/bin/env bash
# Build dist/mailgui_<version>_<arch>.deb from the PyInstaller bundle.
#
#   PYTHON=.venv/bin/python packaging/linux/build-deb.sh            # builds the bundle first
#   PYTHON=.venv/bin/python packaging/linux/build-deb.sh --no-bundle # reuses dist/mailgui
#
# Layout: /opt/mailgui (the bundle), /usr/bin/mailgui (symlink), the desktop file, AppStream
# metainfo and hicolor icons under /usr/share. Needs dpkg-deb, objdump (binutils), ldconfig.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
APP_ID="io.github.mailgui.MailGui"
# What the bundle loads from the system. deb_depends.py checks every library the bundle links
# against this list and fails the build when one is missing here (review, then add it).
LINKED_DEPENDS="libc6, libegl1, libgl1, libxcb1"
# Not linked, read at run time: fontconfig's configuration (and through it a font), and the CA
# certificates that the bundled OpenSSL verifies servers with (its OPENSSLDIR is /usr/lib/ssl).
RUNTIME_DEPENDS="fontconfig-config, ca-certificates"
RECOMMENDS="gnome-keyring, fonts-dejavu-core"

cd "$ROOT"
if [ "${1:-}" != "--no-bundle" ]; then
    PYTHON="$PYTHON" packaging/build-bundle.sh
fi
BUNDLE="$ROOT/dist/mailgui"
[ -x "$BUNDLE/mailgui" ] || { echo "build-deb: no bundle at $BUNDLE" >&2; exit 1; }

VERSION="$("$BUNDLE/mailgui" --version | awk '{print $2}')"
ARCH="$(dpkg --print-architecture)"
echo "build-deb: mailgui $VERSION for $ARCH"

# The computed libc6 floor (newest GLIBC_x.y symbol the bundle uses) replaces the bare libc6.
computed="$(python3 packaging/linux/deb_depends.py "$BUNDLE" --declared "$LINKED_DEPENDS")"
echo "$computed" | sed 's/^/build-deb: needs /'
libc6="$(echo "$computed" | awk -F'\t' '/^libc6 /{print $1}')"
DEPENDS="${LINKED_DEPENDS/libc6/${libc6:-libc6}}, $RUNTIME_DEPENDS"

STAGE="$ROOT/build/deb/mailgui_${VERSION}_${ARCH}"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/metainfo" "$STAGE/usr/share/doc/mailgui"
cp -a "$BUNDLE" "$STAGE/opt/mailgui"
# The bootloader resolves its own real path, so a symlink finds the bundle's _internal folder.
ln -s /opt/mailgui/mailgui "$STAGE/usr/bin/mailgui"
install -m 644 "resources/linux/$APP_ID.desktop" "$STAGE/usr/share/applications/"
install -m 644 "resources/linux/$APP_ID.metainfo.xml" "$STAGE/usr/share/metainfo/"
mkdir -p "$STAGE/usr/share/icons"
cp -r resources/icons/hicolor "$STAGE/usr/share/icons/"
cat > "$STAGE/usr/share/doc/mailgui/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: mailgui
Files: *
Copyright: mailgui developers
License: MIT
Comment: /opt/mailgui carries Python, Qt (LGPL-3), PySide6 (LGPL-3) and other libraries under
 their own licenses.
EOF
chmod -R u+rwX,go+rX,go-w "$STAGE"

cat > "$STAGE/DEBIAN/control" <<EOF
Package: mailgui
Version: $VERSION
Architecture: $ARCH
Maintainer: mailgui developers <mailgui@users.noreply.github.com>
Installed-Size: $(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
Depends: $DEPENDS
Recommends: $RECOMMENDS
Section: mail
Priority: optional
Homepage: https://github.com/mailgui/mailgui
Description: email client that explains why sending failed
 mailgui sends mail, and when sending fails it says in plain words what went
 wrong and how to fix it: step-by-step connection checks, server replies
 explained, passwords in the system keyring, and a local sandbox server.
EOF

mkdir -p "$ROOT/dist"
DEB="$ROOT/dist/mailgui_${VERSION}_${ARCH}.deb"
start=$(date +%s)
dpkg-deb --root-owner-group -Zzstd --build "$STAGE" "$DEB" >/dev/null
echo "build-deb: $DEB $(du -m "$DEB" | cut -f1) MB ($(du -k "$DEB" | cut -f1) KiB)," \
    "packed in $(( $(date +%s) - start )) s; Depends: $DEPENDS"
