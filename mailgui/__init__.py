"""mailgui: a desktop email client that explains why sending failed."""

from importlib import metadata

try:
    __version__ = metadata.version("mailgui")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
