"""UI settings: an INI file in the config folder, window state apart from preferences, no secrets.

Every preference is declared once in PREFERENCES with its type and default; SETTINGS_VERSION and
`_upgrade` migrate older files so a renamed key never silently resets a user's choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_VERSION = 1
FILE_NAME = "mailgui.ini"


@dataclass(frozen=True)
class Preferences:
    send_timeout: int = 30  # seconds for each SMTP operation (the engine's default too)
    check_addresses_as_you_type: bool = True
    remember_last_account: bool = True


# key in the INI file -> (attribute, type)
PREFERENCES = {
    "preferences/send_timeout": ("send_timeout", int),
    "preferences/check_addresses_as_you_type": ("check_addresses_as_you_type", bool),
    "preferences/remember_last_account": ("remember_last_account", bool),
}


def _to_bool(value: object) -> bool:
    if isinstance(value, str):  # INI files give strings back
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


class UiSettings:
    """Typed access to the INI file; window state and preferences live in separate groups."""

    def __init__(self, config_dir: Path) -> None:
        config_dir.mkdir(parents=True, exist_ok=True)
        self.path = config_dir / FILE_NAME
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._upgrade()

    def _upgrade(self) -> None:
        try:
            version = int(str(self._qs.value("settings_version", 0) or 0))
        except ValueError:  # a hand-edited file: treat it as the oldest layout
            version = 0
        # No migrations yet: version 1 is the first layout. Future ones go here, oldest first.
        if version < SETTINGS_VERSION:
            self._qs.setValue("settings_version", SETTINGS_VERSION)

    # window state
    def window_geometry(self) -> QByteArray | None:
        value = self._qs.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def window_state(self) -> QByteArray | None:
        value = self._qs.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._qs.setValue("window/geometry", geometry)
        self._qs.setValue("window/state", state)

    @property
    def last_account(self) -> str | None:
        value = self._qs.value("state/last_account")
        return str(value) if value else None

    @last_account.setter
    def last_account(self, account_id: str | None) -> None:
        self._qs.setValue("state/last_account", account_id or "")

    # preferences
    def preferences(self) -> Preferences:
        defaults = Preferences()
        values: dict[str, object] = {}
        for key, (attr, kind) in PREFERENCES.items():
            raw = self._qs.value(key, getattr(defaults, attr))
            try:
                values[attr] = _to_bool(raw) if kind is bool else kind(raw)
            except (TypeError, ValueError):
                values[attr] = getattr(defaults, attr)
        return Preferences(**values)  # type: ignore[arg-type]

    def save_preferences(self, prefs: Preferences) -> None:
        for key, (attr, _kind) in PREFERENCES.items():
            self._qs.setValue(key, getattr(prefs, attr))
        self._qs.sync()

    def sync(self) -> None:
        self._qs.sync()
