"""The files that give mailgui its identity on a desktop, and the build recipes that ship them."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tomllib
from pathlib import Path

import pytest
from defusedxml import ElementTree

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.mailgui.MailGui"
ICONS = ROOT / "resources" / "icons"
DESKTOP = ROOT / "resources" / "linux" / f"{APP_ID}.desktop"
METAINFO = ROOT / "resources" / "linux" / f"{APP_ID}.metainfo.xml"
SPEC = ROOT / "packaging" / "mailgui.spec"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing on CI (Debian package {package})")
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return path


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) from a PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour


def pyproject_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def test_desktop_file_validates() -> None:
    tool = require_tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, timeout=30)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # no warnings either


def test_desktop_file_names_the_icon_and_command() -> None:
    entries = dict(
        line.split("=", 1) for line in DESKTOP.read_text("utf-8").splitlines() if "=" in line
    )
    assert entries["Icon"] == APP_ID
    assert entries["Exec"].split()[0] == "mailgui"
    assert "Email" in entries["Categories"].split(";")


def test_metainfo_validates() -> None:
    tool = require_tool("appstreamcli", "appstream")
    result = subprocess.run(
        [tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_matches_the_desktop_file_and_the_version() -> None:
    root = ElementTree.parse(METAINFO).getroot()

    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("icon") == APP_ID
    releases = root.findall("releases/release")
    assert releases, "metainfo lists no release"
    assert releases[0].get("version") == pyproject_version(), "newest release != pyproject"


@pytest.mark.parametrize("size", SIZES)
def test_hicolor_png_has_its_size(size: int) -> None:
    path = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"

    assert png_size(path.read_bytes()) == (size, size, 6)  # RGBA


def test_svg_source_is_square_and_copied_to_scalable() -> None:
    source = ICONS / "mailgui.svg"
    root = ElementTree.parse(source).getroot()

    assert root.tag.endswith("svg")
    assert root.get("viewBox") == "0 0 512 512"
    scalable = ICONS / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert scalable.read_bytes() == source.read_bytes()


def test_ico_is_well_formed_with_the_windows_sizes() -> None:
    data = (ICONS / "mailgui.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])

    assert (reserved, kind) == (0, 1)
    sizes = set()
    for index in range(count):
        width, height, _c, _r, _p, _b, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        assert offset + length <= len(data)
        assert width == height
        sizes.add(width or 256)  # 0 means 256
    assert {16, 32, 48, 256} <= sizes


def test_icns_is_well_formed_with_retina_sizes() -> None:
    data = (ICONS / "mailgui.icns").read_bytes()

    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    chunks = {}
    offset = 8
    while offset < len(data):
        kind = data[offset : offset + 4].decode("ascii")
        (length,) = struct.unpack(">I", data[offset + 4 : offset + 8])
        assert length > 8
        chunks[kind] = data[offset + 8 : offset + length]
        offset += length
    assert offset == len(data)
    for kind, size in {"ic07": 128, "ic08": 256, "ic09": 512, "ic10": 1024}.items():
        assert png_size(chunks[kind])[:2] == (size, size), kind


def test_spec_carries_metadata_resources_and_identity() -> None:
    spec = SPEC.read_text("utf-8")

    assert 'copy_metadata("mailgui")' in spec  # else --version fails in the bundle
    assert '"mailgui/resources"' in spec  # where mailgui.core.resources looks when frozen
    assert f'APP_ID = "{APP_ID}"' in spec
    assert "NSHighResolutionCapable" in spec
    assert 'version("mailgui")' in spec  # the version comes from the package, not the spec


def test_installer_scripts_name_the_icon_and_take_the_version() -> None:
    iss = (ROOT / "packaging" / "windows" / "mailgui.iss").read_text("utf-8")

    assert "PrivilegesRequired=lowest" in iss
    assert "mailgui.ico" in iss
    assert re.search(r"^AppVersion=\{#AppVersion\}", iss, re.MULTILINE)
    assert "{uninstallexe}" in iss


def test_deb_depends_finds_libc_and_flags_an_undeclared_package(tmp_path: Path) -> None:
    require_tool("objdump", "binutils")
    require_tool("dpkg", "dpkg")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy2(shutil.which("ls") or "/bin/ls", bundle / "ls")  # links libc and friends
    script = ROOT / "packaging" / "linux" / "deb_depends.py"

    listed = subprocess.run(
        ["python3", str(script), str(bundle)], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^libc6 \(>= 2\.\d+\)", listed.stdout, re.MULTILINE), listed.stdout

    checked = subprocess.run(
        ["python3", str(script), str(bundle), "--declared", "libgl1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 1
    assert "libc6 is needed" in checked.stderr
