"""A failed message waits in the Outbox with its error; what was sent is recorded."""

import time
from pathlib import Path

import pytest

from mailgui.core.message import Draft
from mailgui.core.outbox import Outbox, SentLog, SentRecord

DRAFT = Draft(from_addr="me@example.com", to=("you@example.org",), subject="Hi", body="Hello")
ERROR = {"category": "auth", "title": "The server did not accept the password"}


def test_add_survives_a_restart_with_its_error(tmp_path: Path) -> None:
    item = Outbox(tmp_path).add(DRAFT, "acc1", ERROR)
    (again,) = Outbox(tmp_path).items()
    assert again == item
    assert again.draft == DRAFT
    assert again.last_error == ERROR
    assert again.attempts == 1


def test_retry_failure_counts_attempts_and_remove_deletes(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    item = box.add(DRAFT, "acc1", ERROR)
    box.update(item.with_failure({"category": "timeout"}))
    stored = box.get(item.id)
    assert stored is not None
    assert stored.attempts == 2
    assert stored.last_error == {"category": "timeout"}
    box.remove(item.id)
    assert box.items() == []
    assert box.get(item.id) is None


def test_items_are_oldest_first_and_a_damaged_file_costs_only_itself(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    first = box.add(DRAFT, "acc1", None)
    second = box.add(DRAFT.__class__(to=("b@example.org",)), None, None)
    (box.folder / "damaged.json").write_text("{not json", encoding="utf-8")
    assert [i.id for i in box.items()] == [first.id, second.id]
    assert (box.folder / "damaged.json").exists()


def test_ids_cannot_escape_the_outbox_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an outbox id"):
        Outbox(tmp_path).remove("../accounts")


def test_sent_log_newest_first_and_survives_a_torn_line(tmp_path: Path) -> None:
    log = SentLog(tmp_path)
    older = SentRecord(
        account_id="acc1",
        from_addr="me@example.com",
        subject="first",
        time=time.time() - 60,
        recipients={"a@example.org": {"accepted": True, "code": 250, "message": "OK"}},
        server_reply="250 OK queued",
    )
    newer = SentRecord(
        account_id="acc1",
        from_addr="me@example.com",
        subject="second",
        time=time.time(),
        recipients={
            "a@example.org": {"accepted": True, "code": 250, "message": "OK"},
            "b@example.org": {"accepted": False, "code": 550, "message": "5.1.1 unknown"},
        },
    )
    log.record(older)
    log.record(newer)
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write('{"account_id": "acc1", "subj')  # a crash in the middle of a write
    records = SentLog(tmp_path).items()
    assert [r.subject for r in records] == ["second", "first"]
    assert records[0].refused == ["b@example.org"]
    assert records[1].refused == []
