"""Screenshot of the sign-in failure dialog, with checks for what a human would spot at once.

Set MAILGUI_SCREENSHOT_DIR to keep the PNG files for a look (docs use the same factory).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel

from mailgui.core.diagnosis import Category
from mailgui.ui import dialogs
from tests.ui.test_error_dialog_cases import real_cases

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def grab_auth_dialog(qtbot, folder: Path, *, details: bool) -> tuple[dialogs.ErrorDialog, Path]:
    case = real_cases()[Category.AUTH]  # a real sign-in failure from the sandbox
    dialog = dialogs.show_error(None, case.diagnosis, transcript=case.transcript)
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    dialog.set_details_visible(details)
    path = folder / f"error-dialog-auth{'-details' if details else ''}.png"
    assert dialogs.grab(dialog, path)
    return dialog, path


@pytest.mark.parametrize("details", [False, True], ids=["collapsed", "details"])
def test_auth_dialog_screenshot(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, details: bool
) -> None:
    monkeypatch.setattr(dialogs, "HEADLESS", False)
    folder = Path(os.environ.get("MAILGUI_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    dialog, path = grab_auth_dialog(qtbot, folder, details=details)

    image = QImage(str(path))
    assert image.width() >= 500
    assert 180 <= image.height() <= 900
    # Not a blank image: the text is drawn in a colour other than the background.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, 120, 3)}
    assert len(colours) > 10
    # No cut text: every word-wrapped label got at least the height its text needs.
    for name in ("errorTitle", "errorExplanation", "errorFixes", "errorHint", "errorIcon"):
        label = dialog.findChild(QLabel, name)
        assert label is not None
        assert label.height() >= label.heightForWidth(label.width()), name
        assert label.geometry().right() <= dialog.width()
    dialog.close()
