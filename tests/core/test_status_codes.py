"""RFC 3463 enhanced status codes and reply codes, decoded as data."""

import pytest

from mailgui.core.status_codes import (
    CLASS_MEANINGS,
    DETAIL_MEANINGS,
    SUBJECT_MEANINGS,
    EnhancedCode,
    enhanced_meaning,
    parse_enhanced,
    reply_class,
    reply_meaning,
)


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("5.7.8 Username and Password not accepted", 535, "5.7.8"),
        ("535-5.7.8 Username and Password not accepted", None, "5.7.8"),
        ("5.7.139 Authentication unsuccessful, basic authentication is disabled.", 535, "5.7.139"),
        ("4.7.0 Try again later, closing connection.", 421, "4.7.0"),
        ("Requested action aborted 5.3.4 message file too big", 552, "5.3.4"),
        ("<bob@x>: Recipient address rejected 5.1.1", 550, "5.1.1"),
        ("first line\n5.2.2 mailbox full", 552, "5.2.2"),
    ],
)
def test_parse_enhanced_finds_the_code(text: str, code: int | None, expected: str) -> None:
    parsed = parse_enhanced(text, code)
    assert parsed is not None
    assert str(parsed) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", 550),
        ("Relay access denied", 554),
        ("connect from 192.5.7.1.3 refused", 554),  # part of an address, not a code
        ("version 5.7.8.1", 535),
        ("4.7.0 later", 550),  # the class digit elsewhere in the text must match the reply
    ],
)
def test_parse_enhanced_ignores_lookalikes(text: str, code: int) -> None:
    if text.startswith("4.7.0"):
        # At the very start a code is a code, whatever the reply class.
        assert str(parse_enhanced(text, code)) == "4.7.0"
        assert parse_enhanced("see 4.7.0 later", code) is None
        return
    assert parse_enhanced(text, code) is None


def test_enhanced_code_properties() -> None:
    code = EnhancedCode(4, 7, 12)
    assert code.key == "7.12"
    assert code.transient
    assert not code.permanent
    assert str(code) == "4.7.12"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("5.7.8", "user name or password"),
        ("5.7.9", "too weak"),
        ("4.7.12", "password"),
        ("5.7.13", "disabled"),
        ("5.7.11", "encrypted"),
        ("5.1.1", "does not exist"),
        ("5.3.4", "too big"),
        ("4.4.5", "congested"),
        ("5.7.26", "DMARC"),
        ("5.1.10", "null MX"),
    ],
)
def test_meanings_are_plain_words(code: str, words: str) -> None:
    meaning = enhanced_meaning(code)
    assert meaning is not None
    assert words.lower() in meaning.lower()
    klass = "temporary" if code.startswith("4") else "permanent"
    assert klass in meaning


def test_unregistered_detail_falls_back_to_subject() -> None:
    meaning = enhanced_meaning("5.7.139")
    assert meaning is not None
    assert "security or policy" in meaning
    assert "permanent" in meaning


def test_tables_cover_rfc3463_subjects_and_classes() -> None:
    assert set(CLASS_MEANINGS) == {"2", "4", "5"}
    assert set(SUBJECT_MEANINGS) == {str(n) for n in range(8)}
    # Every subject has its "other or undefined" detail 0, and the RFC's main details exist.
    for subject in range(8):
        assert f"{subject}.0" in DETAIL_MEANINGS
    for key in ("1.1", "1.2", "1.3", "2.2", "3.4", "4.1", "5.3", "6.1", "7.1", "7.8", "7.30"):
        assert key in DETAIL_MEANINGS


@pytest.mark.parametrize(
    ("code", "klass", "words"),
    [
        (535, 5, "not accepted"),
        (421, 4, "not available"),
        (599, 5, "permanent"),
        (466, 4, "temporary"),
        (250, 2, "accepted"),
    ],
)
def test_reply_meaning(code: int, klass: int, words: str) -> None:
    assert reply_class(code) == klass
    meaning = reply_meaning(code)
    assert meaning is not None
    assert words in meaning


@pytest.mark.parametrize("code", [None, -1, 0, 99, 600, 10**30])
def test_invalid_reply_codes(code: int | None) -> None:
    assert reply_class(code) is None
    if code is None or code < 200 or code > 599:
        assert reply_meaning(code) is None
