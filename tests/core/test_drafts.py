"""The draft being written survives a restart, and an unreadable one is kept, not overwritten."""

import os
from pathlib import Path

import pytest

from mailgui.core.drafts import DraftStore
from mailgui.core.message import Draft

DRAFT = Draft(
    from_addr="me@example.com",
    to=("Zoë <zoe@bücher.example>",),
    bcc=("hidden@example.org",),
    subject="Grüße",
    body="line one\nline two\n",
    attachments=("/tmp/report.pdf",),
)


def test_round_trip_through_a_new_store(tmp_path: Path) -> None:
    DraftStore(tmp_path).save(DRAFT, "acc1")
    assert DraftStore(tmp_path).load() == (DRAFT, "acc1")


def test_nothing_saved_is_none_and_clear_removes(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    assert store.load() is None
    store.save(DRAFT, None)
    assert store.load() == (DRAFT, None)
    store.clear()
    assert store.load() is None
    store.clear()  # clearing twice is fine


@pytest.mark.skipif(os.name != "posix", reason="Windows has no POSIX file modes (ACLs instead)")
def test_saved_file_is_private(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save(DRAFT, "acc1")
    assert store.path.stat().st_mode & 0o077 == 0


def test_unreadable_drafts_are_kept_aside_each_one(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.path.parent.mkdir(parents=True)
    for text in ('{"schema": 1, "draft": ', "not json either"):
        store.path.write_text(text, encoding="utf-8")
        assert store.load() is None
        assert store.rescued is not None
        assert store.rescued.read_text(encoding="utf-8") == text
        store.save(DRAFT, "acc1")  # the next autosave does not destroy the rescued text
        assert store.rescued.exists()
    kept = sorted(p.read_text(encoding="utf-8") for p in store.path.parent.glob("unreadable-*"))
    assert kept == sorted(['{"schema": 1, "draft": ', "not json either"])
