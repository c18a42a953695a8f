"""Find bundled resources in a source tree, an installed package and a PyInstaller bundle alike."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding resources/ content (icons, provider data, desktop files)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:  # PyInstaller unpacks data files next to the bundle's Python code
        return Path(frozen) / "mailgui" / "resources"
    source = Path(__file__).resolve().parents[2] / "resources"
    if (source / "__init__.py").is_file():  # a checkout, or an editable install of one
        return source
    from importlib.resources import files

    return Path(str(files("mailgui.resources")))


def resource_path(*parts: str) -> Path:
    """Path of one bundled resource, e.g. resource_path("icons", "mailgui.svg")."""
    return resources_dir().joinpath(*parts)
