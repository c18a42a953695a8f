"""Drafts to wire bytes: addresses, headers, attachments, sizes, and what gets refused."""

from __future__ import annotations

import os
import secrets
import tempfile
import unicodedata
from email import message_from_string, policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailgui.core import message as message_module
from mailgui.core.errors import InputError
from mailgui.core.message import (
    BuiltMessage,
    Draft,
    attachment_name,
    build_message,
    check_attachment_file,
    split_addresses,
    validate_address,
)

BASIC = Draft(from_addr="me@example.com", to=("you@example.org",), subject="Hi", body="Hello")


def parse(built: BuiltMessage) -> EmailMessage:
    raw = built.message.as_bytes(policy=built.message.policy)
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body_of(parsed: EmailMessage) -> str:
    part = parsed.get_body(("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


# -- Draft ---------------------------------------------------------------------------------


def test_draft_round_trips_through_dict() -> None:
    draft = Draft(
        from_addr="a@example.com",
        to=("b@example.com",),
        cc=("c@example.com",),
        bcc=("d@example.com",),
        subject="s",
        body="b",
        attachments=("/x/y.pdf",),
    )
    assert Draft.from_dict(draft.to_dict()) == draft
    assert Draft.from_dict({}) == Draft()
    assert Draft.from_dict({"to": "x@example.com"}).to == ("x@example.com",)
    with pytest.raises(AttributeError):
        draft.subject = "changed"  # type: ignore[misc]


# -- addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@b.org, C <c@d.org>; e@f.org", ["a@b.org", "C <c@d.org>", "e@f.org"]),
        ('"Doe, John" <j@x.org>, k@x.org', ['"Doe, John" <j@x.org>', "k@x.org"]),
        ('"Semi; Colon" <s@x.org>;;  ,', ['"Semi; Colon" <s@x.org>']),
        ('"Quote \\" inside, yes" <q@x.org>', ['"Quote \\" inside, yes" <q@x.org>']),
        ("weird <a,b@x.org>", ["weird <a,b@x.org>"]),
        ("(comment, here) c@x.org", ["(comment, here) c@x.org"]),
        ("", []),
        ("  ", []),
    ],
)
def test_split_addresses(text: str, expected: list[str]) -> None:
    assert split_addresses(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bob@example.com", "bob@example.com"),
        ("  Bob <bob@example.com> ", "bob@example.com"),
        ('"Doe, John" <j@x.org>', "j@x.org"),
        ("bob@Example.COM", "bob@example.com"),
        ("info@bücher.example", "info@xn--bcher-kva.example"),  # IDNA, as sent
        ("josé@example.com", "josé@example.com"),
    ],
)
def test_validate_address_accepts(text: str, expected: str) -> None:
    assert validate_address(text, "to") == expected


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("bob@", "to", 'The address "bob@" in To is missing the part after @.'),
        ("@example.com", "cc", 'The address "@example.com" in Cc is missing the part before @.'),
        ("bob", "bcc", 'The address "bob" in Bcc is missing the @ sign.'),
        ("a@b@example.com", "to", "has more than one @ sign"),
        ("bob smith@example.com", "to", "contains a space"),
        ("bob@example", "to", "is missing the end of the domain"),
        ("Bob <>", "to", "has no address between < and >"),
        ("Bob <bob@example.com", "to", "does not match"),
        ("bob@exa_mple.com", "from", 'The address "bob@exa_mple.com" in From is not valid'),
        ("bob..x@example.com", "to", "is not valid"),
    ],
)
def test_validate_address_explains(text: str, field: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        validate_address(text, field)
    assert info.value.field == field
    assert message in info.value.message
    assert info.value.value == text


# -- building ----------------------------------------------------------------------------


def test_basic_message_headers_and_body() -> None:
    built = build_message(BASIC, from_name="Me Myself")
    msg = built.message
    assert msg["From"] == "Me Myself <me@example.com>"
    assert msg["To"] == "you@example.org"
    assert msg["Subject"] == "Hi"
    assert msg["Date"]
    assert msg["Message-ID"].endswith("@example.com>")
    assert built.envelope_from == "me@example.com"
    assert built.recipients == ("you@example.org",)
    assert built.smtputf8 is False
    raw = msg.as_bytes(policy=msg.policy)
    assert built.size == len(raw)
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert body_of(parse(built)) == "Hello\n"


def test_bcc_is_never_in_headers_and_recipients_are_deduplicated() -> None:
    draft = Draft(
        from_addr="me@example.com",
        to=("a@example.com, B <b@example.com>",),
        cc=("A@EXAMPLE.COM", "c@example.com"),
        bcc=("secret-bcc@example.com", "b@example.com"),
    )
    built = build_message(draft)
    raw = built.message.as_bytes(policy=built.message.policy)
    assert b"secret-bcc" not in raw
    assert b"Bcc" not in raw
    assert built.recipients == (
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "secret-bcc@example.com",
    )


def test_only_bcc_gets_undisclosed_recipients() -> None:
    built = build_message(Draft(from_addr="me@example.com", bcc=("x@example.com",)))
    assert built.message["To"] == "undisclosed-recipients:;"
    assert built.recipients == ("x@example.com",)


def test_at_least_one_recipient_and_a_sender_are_required() -> None:
    with pytest.raises(InputError) as info:
        build_message(Draft(from_addr="me@example.com", to=(" , ",)))
    assert info.value.field == "to"
    assert "at least one recipient" in info.value.message
    with pytest.raises(InputError) as info:
        build_message(Draft(to=("you@example.com",)))
    assert info.value.field == "from"
    with pytest.raises(InputError) as info:
        build_message(Draft(from_addr="a@example.com, b@example.com", to=("c@example.com",)))
    assert info.value.field == "from"


def test_quoted_display_name_with_comma_survives() -> None:
    built = build_message(Draft(from_addr="me@example.com", to=('"Doe, John" <j@x.org>',)))
    to = parse(built)["To"]
    assert to.addresses[0].display_name == "Doe, John"
    assert to.addresses[0].addr_spec == "j@x.org"


def test_international_domain_goes_out_as_idna_without_smtputf8() -> None:
    built = build_message(
        Draft(from_addr="Zoë <zoe@bücher.example>", to=("Jürgen Groß <info@müller.example>",))
    )
    assert built.smtputf8 is False
    assert built.envelope_from == "zoe@xn--bcher-kva.example"
    assert built.recipients == ("info@xn--mller-kva.example",)
    raw = built.message.as_bytes(policy=built.message.policy)
    assert raw.isascii()  # names as RFC 2047 encoded words, domains as IDNA
    parsed = parse(built)
    assert parsed["To"].addresses[0].display_name == "Jürgen Groß"
    assert parsed["From"].addresses[0].display_name == "Zoë"


def test_non_ascii_local_part_needs_smtputf8() -> None:
    built = build_message(Draft(from_addr="me@example.com", cc=("josé@example.com",)))
    assert built.smtputf8 is True
    assert built.recipients == ("josé@example.com",)
    raw = built.message.as_bytes(policy=built.message.policy)
    assert "josé@example.com".encode() in raw
    parsed = message_from_string(raw.decode("utf-8"), policy=policy.default)
    assert parsed["Cc"].addresses[0].username == "josé"


def test_attachments_typed_named_and_byte_exact(tmp_path: Path) -> None:
    pdf = tmp_path / "Résumé – Zoë.pdf"
    pdf.write_bytes(b"%PDF-1.4 \x00\xff binary")
    text = tmp_path / "notes.txt"
    text.write_bytes(b"line one\r\nline two\n")
    unknown = tmp_path / "data.weird-extension"
    unknown.write_bytes(os.urandom(300))
    archive = tmp_path / "logs.tar.gz"
    archive.write_bytes(b"\x1f\x8b rest")
    draft = Draft(
        from_addr="me@example.com",
        to=("you@example.org",),
        body="see attached",
        attachments=(str(pdf), str(text), str(unknown), str(archive)),
    )
    built = build_message(draft)
    raw = built.message.as_bytes(policy=built.message.policy)
    assert raw.isascii()  # the non-ASCII file name is RFC 2231 encoded
    assert b"filename*=" in raw
    parsed = parse(built)
    parts = list(parsed.iter_attachments())
    assert [p.get_filename() for p in parts] == [pdf.name, "notes.txt", unknown.name, archive.name]
    assert [p.get_content_type() for p in parts] == [
        "application/pdf",
        "text/plain",
        "application/octet-stream",
        "application/gzip",
    ]
    assert [p.get_payload(decode=True) for p in parts] == [
        pdf.read_bytes(),
        text.read_bytes(),
        unknown.read_bytes(),
        archive.read_bytes(),
    ]
    assert body_of(parsed) == "see attached\n"
    assert built.size == len(raw)


def test_missing_attachment_is_named(tmp_path: Path) -> None:
    gone = tmp_path / "vanished report.pdf"
    draft = Draft(from_addr="me@example.com", to=("y@example.org",), attachments=(str(gone),))
    with pytest.raises(InputError) as info:
        build_message(draft)
    assert info.value.field == "attachments"
    assert '"vanished report.pdf" was not found' in info.value.message
    assert info.value.value == str(gone)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="Windows has no named pipes in its files")
def test_folder_and_pipe_attachments_are_refused(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # reading it would block forever: must be refused, not read
    for path, words in ((tmp_path, "is a folder"), (pipe, "not an ordinary file")):
        draft = Draft(from_addr="me@example.com", to=("y@example.org",), attachments=(str(path),))
        with pytest.raises(InputError, match=words) as info:
            build_message(draft)
        assert info.value.field == "attachments"
    with pytest.raises(InputError, match="no file name"):
        build_message(Draft(from_addr="me@example.com", to=("y@example.org",), attachments=("",)))


@pytest.mark.skipif(
    os.name != "posix", reason="chmod(0) does not make a file unreadable on Windows"
)
def test_unreadable_attachment_is_named(as_ordinary_user: Path) -> None:
    secret = as_ordinary_user / "locked.txt"
    secret.write_text("x")
    secret.chmod(0)
    draft = Draft(from_addr="me@example.com", to=("y@example.org",), attachments=(str(secret),))
    with pytest.raises(InputError, match=r'"locked\.txt" cannot be read'):
        build_message(draft)


def test_huge_attachments_are_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_module, "MAX_ATTACHMENT_BYTES", 1000)
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:  # sparse: large on paper, costs no disk or memory
        handle.truncate(10**12)
    draft = Draft(from_addr="me@example.com", to=("y@example.org",), attachments=(str(big),))
    with pytest.raises(InputError, match=r'"big\.bin" is too large') as info:
        build_message(draft)
    assert info.value.field == "attachments"

    # The cap is for all attachments together.
    halves = []
    for name in ("one.bin", "two.bin"):
        (tmp_path / name).write_bytes(b"x" * 600)
        halves.append(str(tmp_path / name))
    draft = Draft(from_addr="me@example.com", to=("y@example.org",), attachments=tuple(halves))
    with pytest.raises(InputError, match=r'"two\.bin" is too large'):
        build_message(draft)


def test_default_attachment_cap_is_sane() -> None:
    assert 10 * 2**20 <= message_module.MAX_ATTACHMENT_BYTES <= 200 * 2**20


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": "Hi\r\nBcc: victim@example.com"}, "subject"),
        ({"subject": "line\nbreak"}, "subject"),
        ({"to": ("you@example.org\r\nX-Evil: 1",)}, "to"),
        ({"to": ("you@example.org,\nother@example.org",)}, "to"),
        ({"cc": ('"Name\rX" <c@example.org>',)}, "cc"),
        ({"bcc": ("b@example.org\n",)}, "bcc"),
        ({"from_addr": "Evil\n <me@example.com>"}, "from"),
    ],
)
def test_line_breaks_in_header_fields_are_refused(changes: dict[str, object], field: str) -> None:
    draft = Draft(**{**BASIC.to_dict(), **{k: v for k, v in changes.items()}})
    draft = Draft.from_dict({**BASIC.to_dict(), **changes})
    with pytest.raises(InputError) as info:
        build_message(draft)
    assert info.value.field == field
    assert "line break" in info.value.message


def test_line_break_in_from_name_is_refused() -> None:
    with pytest.raises(InputError) as info:
        build_message(BASIC, from_name="Me\r\nBcc: x@example.com")
    assert info.value.field == "from"


# -- control characters, tabs, long local parts, odd file names ---------------------------

CONTROLS = ["\x00", "\x07", "\x08", "\x1b", "\x7f", "\x9b"]


@pytest.mark.parametrize("char", CONTROLS)
def test_control_character_in_subject_is_refused_by_name(char: str) -> None:
    draft = Draft.from_dict({**BASIC.to_dict(), "subject": f"a{char}b"})
    with pytest.raises(InputError) as info:
        build_message(draft)
    assert info.value.field == "subject"
    assert info.value.message == (
        f"The subject contains an invisible control character (U+{ord(char):04X}); remove it."
    )


@pytest.mark.parametrize(
    ("changes", "from_name", "field", "noun"),
    [
        ({"to": ("Bo\x00b <bob@example.org>",)}, None, "to", "The To field"),
        ({"cc": ('"Ann\x1b[31m" <ann@example.org>',)}, None, "cc", "The Cc field"),
        ({"bcc": ("Del\x7f <d@example.org>",)}, None, "bcc", "The Bcc field"),
        ({"from_addr": "Me\x07 <me@example.com>"}, None, "from", "The From field"),
        ({}, "Me\x00Myself", "from", "The From field"),
    ],
)
def test_control_character_in_a_display_name_is_refused(
    changes: dict[str, object], from_name: str | None, field: str, noun: str
) -> None:
    draft = Draft.from_dict({**BASIC.to_dict(), **changes})
    with pytest.raises(InputError) as info:
        build_message(draft, from_name=from_name)
    assert info.value.field == field
    assert info.value.message.startswith(f"{noun} contains an invisible control character (U+")
    assert info.value.message.endswith("); remove it.")


def test_validate_address_refuses_a_control_character() -> None:
    with pytest.raises(InputError, match=r"The To field .* \(U\+0000\); remove it\."):
        validate_address("Bo\x00b <bob@example.org>", "to")


def test_tabs_in_subject_and_names_are_sent_as_spaces() -> None:
    draft = Draft(
        from_addr="me@example.com",
        to=("Bob\tSmith <bob@example.org>",),
        subject="Q3\tfigures\t",
    )
    built = build_message(draft, from_name="Me\tMyself")
    from mailgui.core.smtp import serialize_message

    wire = serialize_message(built)
    assert b"\t" not in wire
    parsed = parse(built)
    assert parsed["Subject"] == "Q3 figures"
    assert parsed["To"].addresses[0].display_name == "Bob Smith"
    assert parsed["From"].addresses[0].display_name == "Me Myself"


def test_local_part_longer_than_64_octets_is_refused() -> None:
    assert validate_address("a" * 64 + "@example.com", "to") == "a" * 64 + "@example.com"
    with pytest.raises(InputError) as info:
        validate_address("a" * 65 + "@example.com", "cc")
    assert info.value.field == "cc"
    assert "has 65 bytes before the @ sign; mail servers accept at most 64" in info.value.message
    # Octets, not characters: 33 × "é" is 66 bytes in UTF-8.
    with pytest.raises(InputError, match="66 bytes before the @ sign"):
        validate_address("é" * 33 + "@example.com", "to")


def test_file_name_with_line_breaks_and_controls_is_sent_sanitized(tmp_path: Path) -> None:
    odd = tmp_path / "report\nfinal\r\x1b.txt"
    odd.write_bytes(b"content")
    draft = Draft(from_addr="me@example.com", to=("you@example.org",), attachments=(str(odd),))
    built = build_message(draft)
    from mailgui.core.smtp import serialize_message

    wire = serialize_message(built)
    assert b"\x1b" not in wire
    assert b"\n" not in wire.replace(b"\r\n", b"")
    assert b"\r" not in wire.replace(b"\r\n", b"")
    [part] = list(parse(built).iter_attachments())
    assert part.get_filename() == "report final .txt"
    assert part.get_content_type() == "text/plain"
    assert part.get_payload(decode=True) == b"content"
    assert attachment_name(str(odd)) == "report final .txt"
    assert attachment_name("/x/\x07") == "attachment"


def test_check_attachment_file_explains_before_sending(tmp_path: Path) -> None:
    good = tmp_path / "a.txt"
    good.write_bytes(b"12345")
    assert check_attachment_file(str(good)) == 5
    for path, words in (
        (tmp_path / "does-not-exist.txt", '"does-not-exist.txt" was not found'),
        (tmp_path, "is a folder"),
    ):
        with pytest.raises(InputError, match=words) as info:
            check_attachment_file(str(path))
        assert info.value.field == "attachments"


# -- properties --------------------------------------------------------------------------

HEADER_FIELDS = ("subject", "to", "cc", "bcc", "from", "from_name")


def refused_in_header(text: str) -> bool:
    """A line break (as Python sees one) or a control character other than tab."""
    control = any(ch != "\t" and unicodedata.category(ch) == "Cc" for ch in text)
    return control or len((text + "x").splitlines()) > 1


def sent_subject(subject: str) -> str:
    return subject.replace("\t", " ").strip(" ")


_fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_fast
@given(subject=st.text(max_size=300), body=st.text(max_size=2000))
def test_any_subject_and_body_round_trip(subject: str, body: str) -> None:
    draft = Draft(from_addr="me@example.com", to=("you@example.org",), subject=subject, body=body)
    if refused_in_header(subject):
        with pytest.raises(InputError) as info:
            build_message(draft)
        assert info.value.field == "subject"
        return
    built = build_message(draft)
    parsed = parse(built)
    assert parsed["Subject"] == sent_subject(subject)
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    if not expected.endswith("\n"):
        expected += "\n"
    assert body_of(parsed) == expected
    assert built.size == len(built.message.as_bytes(policy=built.message.policy))


@_fast
@given(
    field=st.sampled_from(HEADER_FIELDS),
    before=st.text(max_size=20),
    brk=st.sampled_from(["\r", "\n", "\r\n"]),
    after=st.text(max_size=20),
)
def test_any_line_break_in_a_header_field_is_refused(
    field: str, before: str, brk: str, after: str
) -> None:
    value = before + brk + after
    data = BASIC.to_dict()
    from_name = None
    if field == "from_name":
        from_name = value
    elif field == "from":
        data["from_addr"] = value
    elif field == "subject":
        data["subject"] = value
    else:
        data[field] = [value]
    with pytest.raises(InputError) as info:
        build_message(Draft.from_dict(data), from_name=from_name)
    assert info.value.field == ("from" if field == "from_name" else field)


@settings(max_examples=75, deadline=None)
@given(subject=st.text(max_size=200), body=st.text(max_size=500))
def test_round_trip_with_smtputf8(subject: str, body: str) -> None:
    if refused_in_header(subject):
        return
    draft = Draft(
        from_addr="zoë@example.com", to=("ñandú@bücher.example",), subject=subject, body=body
    )
    built = build_message(draft)
    assert built.smtputf8
    raw = built.message.as_bytes(policy=built.message.policy)
    parsed = message_from_string(raw.decode("utf-8"), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == sent_subject(subject)
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    assert body_of(parsed) == (expected if expected.endswith("\n") else expected + "\n")


_names = st.text(max_size=30)
_file_names = st.text(min_size=1, max_size=30).filter(
    lambda n: "/" not in n and "\x00" not in n and n not in (".", "..")
)


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@settings(max_examples=200, deadline=None)
@given(
    subject=_names,
    to_name=_names,
    from_name=_names,
    file_name=_file_names,
    utf8=st.booleans(),
)
def test_no_control_character_reaches_the_header_bytes(
    subject: str, to_name: str, from_name: str, file_name: str, utf8: bool
) -> None:
    from mailgui.core.smtp import serialize_message

    to = f"{_quoted(to_name)} <{'ñandú@bücher.example' if utf8 else 'you@example.org'}>"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        try:
            path.write_bytes(b"data")
        except OSError:  # a name this file system will not store (too long in bytes)
            return
        draft = Draft(
            from_addr="me@example.com", to=(to,), subject=subject, attachments=(str(path),)
        )
        fields = {"subject": subject, "to": to_name, "from": from_name}
        refusal: InputError | None = None
        try:
            built = build_message(draft, from_name=from_name)
        except InputError as exc:
            refusal = exc
        if refusal is not None:
            # Refused only for a reason that is really there; file names are never refused.
            assert refused_in_header(fields[refusal.field]), refusal.message
            return
        assert not any(refused_in_header(text) for text in fields.values())
        wire = serialize_message(built)
    # Every line, headers of every part included: no C0 byte or DEL but the CRLF line ends.
    for line in wire.split(b"\r\n"):
        assert not any(byte < 0x20 or byte == 0x7F for byte in line), line
    parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert parsed["Subject"] == sent_subject(subject)
    [part] = list(parsed.iter_attachments())
    assert part.get_filename() == attachment_name(str(path))


# -- size: what the engine puts on the wire ------------------------------------------------


@pytest.mark.parametrize(
    ("to", "attach", "smtputf8"),
    [
        ("you@example.org", False, False),
        ("you@example.org", True, False),
        ("josé@example.com", False, True),
        ("josé@example.com", True, True),
    ],
)
def test_size_is_the_length_of_the_wire_bytes(
    tmp_path: Path, to: str, attach: bool, smtputf8: bool
) -> None:
    from mailgui.core.smtp import serialize_message

    files: tuple[str, ...] = ()
    if attach:
        data = tmp_path / "data.bin"
        data.write_bytes(os.urandom(200_000) + b"\r\n.\r\n")
        text = tmp_path / "Zoë notes.txt"
        text.write_text("café\n" * 1000, encoding="utf-8")
        files = (str(data), str(text))
    draft = Draft(
        from_addr="Zoë <me@example.com>",
        to=(to,),
        bcc=("hidden@example.com",),
        subject="Grüße " * 30,
        body="A body with a line\r\n.\r\nand unicode: ünïcødé\n" * 50,
        attachments=files,
    )
    built = build_message(draft)
    assert built.smtputf8 is smtputf8
    wire = serialize_message(built)
    assert built.size == len(wire)
    assert b"hidden@example.com" not in wire
    if attach:
        # The boundary is chosen at build time, so the engine can stream the parts.
        boundary = built.message.get_boundary()
        assert boundary
        assert wire.count(f"--{boundary}".encode()) == 4  # body, two files, the end
        parsed = BytesParser(policy=policy.default).parsebytes(wire)
        assert [p.get_filename() for p in parsed.iter_attachments()] == ["data.bin", text.name]


def test_boundary_avoids_text_that_contains_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clash = "=" * 15 + "00" * 10 + "=="
    tokens = iter(["00" * 10, "11" * 10])
    monkeypatch.setattr(secrets, "token_hex", lambda _n: next(tokens))
    path = tmp_path / "a.txt"
    path.write_text("x")
    built = build_message(
        Draft(
            from_addr="me@example.com",
            to=("you@example.org",),
            body=clash,
            attachments=(str(path),),
        )
    )
    assert built.message.get_boundary() == "=" * 15 + "11" * 10 + "=="
    assert body_of(parse(built)) == clash + "\n"


def test_size_is_computed_once_and_not_at_build_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mailgui.core import smtp_wire

    calls: list[bool] = []
    real = smtp_wire.serialize_parts

    def counting(*args: object) -> smtp_wire.WirePayload:
        calls.append(True)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(smtp_wire, "serialize_parts", counting)
    built = build_message(BASIC)
    assert calls == []
    first = built.size
    assert built.size == first
    assert calls == [True]
