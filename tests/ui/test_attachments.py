"""The compose pane's attachments: files checked when added, Delete removes, limits shown early."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from mailgui.core.message import MAX_ATTACHMENT_BYTES
from mailgui.ui.compose import ComposePane

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore("propagateSizeHints")]


@pytest.fixture
def pane(qtbot: Any) -> ComposePane:
    widget = ComposePane()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def names(pane: ComposePane) -> list[str]:
    return [Path(p).name for p in pane.attachments.paths()]


def drop(target: Any, *paths: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dropEvent(event)


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:  # large on paper, costs no disk
        handle.truncate(size)
    return path


def test_missing_file_is_not_added_and_the_reason_is_shown(
    pane: ComposePane, tmp_path: Path
) -> None:
    good = tmp_path / "notes.txt"
    good.write_bytes(b"x" * 1536)
    panel = pane.attachments
    panel.add_paths([str(tmp_path / "does-not-exist.txt"), str(good)])
    assert names(pane) == ["notes.txt"]
    assert panel.list.item(0).text() == "notes.txt  (1.5 KB)"
    assert panel.notice.isVisible()
    assert '"does-not-exist.txt" was not found' in panel.notice.text()
    assert "It was not attached." in panel.notice.text()
    assert panel.notice.accessibleDescription() == panel.notice.text()
    # The next successful add clears the old complaint.
    other = tmp_path / "other.txt"
    other.write_bytes(b"y")
    panel.add_paths([str(other)])
    assert panel.notice.isHidden()
    assert names(pane) == ["notes.txt", "other.txt"]


def test_folder_dropped_on_the_pane_or_body_is_refused(pane: ComposePane, tmp_path: Path) -> None:
    folder = tmp_path / "Holiday photos"
    folder.mkdir()
    drop(pane, folder)
    assert names(pane) == []
    assert '"Holiday photos" is a folder' in pane.attachments.notice.text()
    assert pane.attachments.notice.isVisible()

    file = tmp_path / "a.txt"
    file.write_bytes(b"a")
    pane.body.insertFromMimeData(_mime(folder, file))  # what a drop on the body ends in
    assert names(pane) == ["a.txt"]
    assert "is a folder" in pane.attachments.notice.text()
    assert pane.body.toPlainText() == ""


def _mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


@pytest.mark.skipif(
    os.name != "posix", reason="chmod(0) does not make a file unreadable on Windows"
)
def test_unreadable_file_is_refused(pane: ComposePane, as_ordinary_user: Path) -> None:
    secret = as_ordinary_user / "locked.txt"
    secret.write_text("x")
    secret.chmod(0)
    pane.attachments.add_paths([str(secret)])
    assert names(pane) == []
    assert '"locked.txt" cannot be read' in pane.attachments.notice.text()


@pytest.mark.parametrize("key", [Qt.Key.Key_Delete, Qt.Key.Key_Backspace])
def test_delete_and_backspace_remove_the_selected_attachments(
    qtbot: Any, pane: ComposePane, tmp_path: Path, key: Qt.Key
) -> None:
    paths = []
    for name in ("one.txt", "two.txt", "three.txt"):
        (tmp_path / name).write_bytes(b"data")
        paths.append(str(tmp_path / name))
    panel = pane.attachments
    panel.add_paths(paths)
    panel.list.setFocus()
    qtbot.keyClick(panel.list, key)  # nothing selected: nothing removed
    assert names(pane) == ["one.txt", "two.txt", "three.txt"]

    panel.list.item(0).setSelected(True)
    panel.list.item(2).setSelected(True)
    with qtbot.waitSignal(pane.changed, timeout=1000):
        qtbot.keyClick(panel.list, key)
    assert names(pane) == ["two.txt"]
    assert panel.summary.text() == "1 file, 4 bytes"


def test_total_over_the_cap_is_flagged_when_added(pane: ComposePane, tmp_path: Path) -> None:
    panel = pane.attachments
    panel.add_paths([str(sparse(tmp_path / "half.bin", MAX_ATTACHMENT_BYTES // 2))])
    assert panel.total_size() <= MAX_ATTACHMENT_BYTES
    assert panel.summary.property("warning") is False

    panel.add_paths([str(sparse(tmp_path / "more.bin", MAX_ATTACHMENT_BYTES // 2 + 1))])
    assert panel.over_cap
    assert panel.summary.property("warning") is True
    text = panel.summary.text()
    assert text.startswith("⚠ 2 files, 100.0 MB")
    assert "all attachments together may be at most 100 MB" in text
    assert panel.summary.accessibleDescription() == text

    # Even with a generous server, mailgui's own cap is the one that will stop the send.
    panel.set_size_limit(10 * MAX_ATTACHMENT_BYTES)
    assert "may be at most 100 MB" in panel.summary.text()

    panel.list.item(1).setSelected(True)
    panel.remove_selected()
    assert panel.total_size() <= MAX_ATTACHMENT_BYTES
    assert panel.summary.property("warning") is False
    assert "server accepts up to" in panel.summary.text()


def test_server_size_warning_still_shown_under_the_cap(pane: ComposePane, tmp_path: Path) -> None:
    panel = pane.attachments
    panel.add_paths([str(sparse(tmp_path / "video.mp4", 20 * 2**20))])
    panel.set_size_limit(10 * 2**20)
    assert panel.over_limit
    assert not panel.over_cap
    assert panel.summary.property("warning") is True
    assert "the server will likely refuse it" in panel.summary.text()
