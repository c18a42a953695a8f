"""mailgui: a desktop email client that explains why sending failed."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use, not at import: importlib.metadata costs ~15 ms of start-up time.
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("mailgui")
        except metadata.PackageNotFoundError:  # a source tree that was never installed
            version = "0.0.0+source"
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
