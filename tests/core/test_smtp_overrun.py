"""A server that starts a reply and never finishes it: the timeout bounds the whole reply and
the reply has a line / byte cap, so check() returns promptly with a protocol diagnosis."""

from __future__ import annotations

import time

import pytest

from mailgui.core.diagnosis import Category, DiagnosisContext, explain
from mailgui.core.smtp import check
from mailgui.core.smtp_wire import MAX_REPLY_BYTES, MAX_REPLY_LINES, ReplyOverrun
from tests.smtp_servers import TricklingServer


def _check(server: TricklingServer, timeout: float) -> tuple[object, float]:
    started = time.monotonic()
    result = check(server.settings(), None, timeout=timeout)
    return result, time.monotonic() - started


@pytest.mark.parametrize(("at", "stage"), [("banner", "connect"), ("ehlo", "ehlo")])
def test_trickled_continuation_lines_hit_the_reply_deadline(at: str, stage: str) -> None:
    with TricklingServer(at=at, interval=0.3) as server:
        result, elapsed = _check(server, timeout=1.0)
    # Each line arrives well within the per-read timeout: only a per-reply deadline stops it.
    assert elapsed < 2.0
    assert result.failed_stage == stage
    assert isinstance(result.error, ReplyOverrun)
    assert not result.error.too_long
    assert result.error.lines >= 2
    assert "did not end within 1 s" in result.transcript.to_text()
    d = explain(result.error, DiagnosisContext.for_settings(server.settings(), stage=stage))
    assert d.category is Category.PROTOCOL
    assert d.title == "The server's reply never ended"
    assert d.stage == stage


def test_a_line_that_never_ends_hits_the_reply_deadline() -> None:
    # Bytes keep arriving, never a line end: a readline() with a per-read timeout would wait
    # for up to 8 KiB of them.
    with TricklingServer(at="ehlo", interval=0.1, eol=b"") as server:
        result, elapsed = _check(server, timeout=1.0)
    assert elapsed < 2.0
    assert result.failed_stage == "ehlo"
    assert isinstance(result.error, ReplyOverrun)
    assert result.error.lines == 0
    assert result.error.size > 0


def test_a_flood_of_lines_hits_the_line_cap() -> None:
    with TricklingServer(at="ehlo", interval=0) as server:
        result, elapsed = _check(server, timeout=30.0)
    assert elapsed < 10.0  # the cap, not the timeout, ended it
    assert isinstance(result.error, ReplyOverrun)
    assert result.error.too_long
    assert result.error.lines == MAX_REPLY_LINES
    assert result.failed_stage == "ehlo"
    d = explain(result.error, DiagnosisContext.for_settings(server.settings(), stage="ehlo"))
    assert d.category is Category.PROTOCOL
    assert f"sent {MAX_REPLY_LINES} lines" in d.explanation


def test_a_flood_of_long_lines_hits_the_byte_cap() -> None:
    with TricklingServer(at="banner", interval=0, line=b"y" * 8000) as server:
        result, _ = _check(server, timeout=30.0)
    assert isinstance(result.error, ReplyOverrun)
    assert result.error.too_long
    assert MAX_REPLY_BYTES <= result.error.size < MAX_REPLY_BYTES + 8192
    assert result.error.lines < MAX_REPLY_LINES
    assert result.failed_stage == "connect"


def test_a_silent_server_is_still_a_timeout_not_an_overrun(silent_server) -> None:
    result = check(silent_server.settings(), None, timeout=0.5)
    assert not isinstance(result.error, ReplyOverrun)
    assert isinstance(result.error.__cause__, TimeoutError)
