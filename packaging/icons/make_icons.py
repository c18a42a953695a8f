"""Regenerate the app icon set from resources/icons/mailgui.svg.

    python packaging/icons/make_icons.py

Writes (all committed, so a build needs none of these tools):
  resources/icons/hicolor/<N>x<N>/apps/io.github.mailgui.MailGui.png   N = 16 ... 512
  resources/icons/hicolor/scalable/apps/io.github.mailgui.MailGui.svg  (copy of the source)
  resources/icons/mailgui.png   (256 px, for code that wants one raster file)
  resources/icons/mailgui.ico   (Windows: via ImageMagick `convert`, BMP entries + PNG 256)
  resources/icons/mailgui.icns  (macOS: written here; the container is a list of PNG chunks)

PNGs are rendered with Qt's own SVG renderer (PySide6 is already a dependency), so the raster
icons look like what the running app draws from the SVG. Dev-time only: nothing here runs at
app start.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

APP_ID = "io.github.mailgui.MailGui"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS chunk type -> pixel size of the PNG it holds (Apple's types for PNG payloads).
ICNS_CHUNKS = (
    ("icp4", 16),
    ("icp5", 32),
    ("ic11", 32),  # 16@2x
    ("icp6", 64),
    ("ic12", 64),  # 32@2x
    ("ic07", 128),
    ("ic08", 256),
    ("ic13", 256),  # 128@2x
    ("ic09", 512),
    ("ic14", 512),  # 256@2x
    ("ic10", 1024),  # 512@2x
)

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "mailgui.svg"


def render_pngs(sizes: set[int]) -> dict[int, bytes]:
    """Render the SVG at each size; returns PNG bytes by size."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SOURCE}")
    out: dict[int, bytes] = {}
    for size in sorted(sizes):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        out[size] = bytes(data.data())
    del app
    return out


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """The ICNS container: 'icns', total length, then (type, length, PNG) chunks, big-endian."""
    body = b"".join(
        kind.encode("ascii") + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for kind, size in ICNS_CHUNKS
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    pngs = render_pngs(set(SIZES) | {size for _, size in ICNS_CHUNKS})
    for size in SIZES:
        target = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pngs[size])
    scalable = ICONS / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable)
    (ICONS / "mailgui.png").write_bytes(pngs[256])
    (ICONS / "mailgui.icns").write_bytes(icns_bytes(pngs))

    convert = shutil.which("magick") or shutil.which("convert")
    if convert is None:
        print("ImageMagick not found: mailgui.ico left as it was", file=sys.stderr)
        return 1
    inputs = [str(ICONS / "hicolor" / f"{s}x{s}" / "apps" / f"{APP_ID}.png") for s in ICO_SIZES]
    subprocess.run([convert, *inputs, str(ICONS / "mailgui.ico")], check=True)
    print(f"icons written to {ICONS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
