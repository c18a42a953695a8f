"""From a draft to the bytes that go on the wire: addresses checked, headers safe, files attached.

Every problem is an `InputError` whose `field` names what the user must change and whose message
says, in plain words, which value is wrong and why.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import stat
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cached_property
from pathlib import Path
from typing import Any

import email_validator
from email_validator import EmailNotValidError, validate_email

from mailgui.core.errors import InputError

# email-validator refuses special-use names outright. A mail client must still reach company
# mail on "corp.local" and the test domains of RFC 2606 that test servers use, so those two are
# allowed (the library documents editing this list); .invalid, .onion, .arpa stay refused.
email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = [
    name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES if name not in ("local", "test")
]

# Attachments are read into memory to be encoded; refuse more than this in one message rather
# than exhausting memory (base64 adds a third on top). Providers accept far less anyway.
MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024

FIELD_LABELS = {
    "from": "From",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
    "subject": "Subject",
    "body": "Body",
    "attachments": "Attachments",
}

# Compressed files are sent as the compressed type, not as what is inside them.
_ENCODING_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}

_NEWLINES = re.compile(r"\r\n?")
# Besides CR and LF, the characters str.splitlines() breaks on (VT, FF, FS, GS, RS, NEL, LS, PS).
_LINE_SEPARATORS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Control characters (Unicode category Cc: C0, DEL, C1, which hold every line break but two) and
# the line and paragraph separators; a run of them becomes one space in an attachment's name.
_FILE_NAME_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# RFC 5321 4.5.3.1.1: servers may refuse a longer local part, and many do.
MAX_LOCAL_PART_OCTETS = 64
# How check_header_text names a field inside a sentence.
_FIELD_NOUNS = {
    "subject": "The subject",
    "from": "The From field",
    "to": "The To field",
    "cc": "The Cc field",
    "bcc": "The Bcc field",
}


@dataclass(frozen=True)
class Draft:
    """What the user typed in the compose window. Attachments are file paths."""

    from_addr: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    attachments: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_addr": self.from_addr,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "subject": self.subject,
            "body": self.body,
            "attachments": list(self.attachments),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        def strings(name: str) -> tuple[str, ...]:
            value = data.get(name) or ()
            if isinstance(value, str):
                return (value,)
            return tuple(str(item) for item in value)

        return cls(
            from_addr=str(data.get("from_addr", "")),
            to=strings("to"),
            cc=strings("cc"),
            bcc=strings("bcc"),
            subject=str(data.get("subject", "")),
            body=str(data.get("body", "")),
            attachments=strings("attachments"),
        )


@dataclass(frozen=True, init=False)
class BuiltMessage:
    message: EmailMessage
    envelope_from: str
    recipients: tuple[str, ...]  # to + cc + bcc, deduplicated, in order
    smtputf8: bool  # an address has a non-ASCII local part: the server must offer SMTPUTF8

    def __init__(
        self,
        message: EmailMessage,
        envelope_from: str,
        recipients: tuple[str, ...],
        smtputf8: bool,
        size: int | None = None,  # known already: `size` is not computed again
    ) -> None:
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "envelope_from", envelope_from)
        object.__setattr__(self, "recipients", recipients)
        object.__setattr__(self, "smtputf8", smtputf8)
        if size is not None:
            self.__dict__["size"] = size  # where cached_property keeps its value

    @cached_property
    def size(self) -> int:
        """Bytes as the message goes on the wire (CRLF line ends, before dot-stuffing).

        Computed on first use, by the engine's serializer, and then kept: a full pass over a
        large message costs time (better spent on the thread that asks), and the stdlib
        generator behind `as_bytes()` holds the interpreter lock for 100 ms at a time, which
        freezes the GUI thread. The message must not be changed after this is read.
        """
        from mailgui.core.smtp_wire import serialize_parts  # smtplib: only when sending

        return len(serialize_parts(self.message, self.smtputf8))


@dataclass(frozen=True)
class _Mailbox:
    display_name: str
    local: str
    domain: str  # ASCII (IDNA) form when the local part is ASCII, else the Unicode form
    ascii_domain: str
    smtputf8: bool

    @property
    def addr_spec(self) -> str:
        return f"{self.local}@{self.domain}"

    def header_address(self, display_name: str | None = None) -> Address:
        name = self.display_name if display_name is None else display_name
        return Address(display_name=name, username=self.local, domain=self.domain)


def split_addresses(text: str) -> list[str]:
    """Split on commas and semicolons that are outside quotes, <...> and (comments)."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    angle = comment = 0
    for ch in text:
        if escaped:
            escaped = False
        elif quoted:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            angle += 1
        elif ch == ">" and angle:
            angle -= 1
        elif ch == "(":
            comment += 1
        elif ch == ")" and comment:
            comment -= 1
        elif ch in ",;" and not angle and not comment:
            items.append("".join(current))
            current = []
            continue
        current.append(ch)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def check_header_text(field: str, text: str) -> None:
    """Refuse a line break or control character in anything that becomes a header.

    A line break could inject new headers; NUL, BEL, ESC, DEL and the like would go onto the
    wire raw and are invisible to the user. Never stripped silently. Python's email package
    also treats the other characters that `str.splitlines()` splits on as line breaks, so
    they are refused too. A tab is allowed here: build_message turns it into a space.
    """
    if "\r" in text or "\n" in text:
        raise InputError(
            field, f"{_label(field)} contains a line break. Keep it on one line.", text
        )
    found = _LINE_SEPARATORS.search(text)
    if found:
        raise InputError(
            field,
            f"{_label(field)} contains an invisible line-separator character "
            f"(U+{ord(found.group()):04X}). Remove it.",
            text,
        )
    control = next((ch for ch in text if ch != "\t" and unicodedata.category(ch) == "Cc"), None)
    if control is not None:
        noun = _FIELD_NOUNS.get(field, f"The {_label(field)} field")
        raise InputError(
            field,
            f"{noun} contains an invisible control character (U+{ord(control):04X}); remove it.",
            text,
        )


def _tabs_to_spaces(text: str) -> str:
    # A tab is legal header whitespace but nobody means one in a subject or a name.
    return text.replace("\t", " ")


def attachment_name(path_text: str) -> str:
    """The file name the recipient sees: line breaks and control characters become spaces.

    File systems allow a newline in a name; such a name must not break the MIME header, and
    the user should not have to rename the file to send it.
    """
    return _FILE_NAME_BREAKS.sub(" ", Path(path_text).name).strip() or "attachment"


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def _parse_mailbox(text: str, field: str) -> _Mailbox:
    check_header_text(field, text)
    label = _label(field)
    entry = text.strip()
    name = ""
    addr = entry
    if entry.endswith(">") and "<" in entry:
        cut = entry.rindex("<")
        name, addr = _tabs_to_spaces(_unquote(entry[:cut])), entry[cut + 1 : -1].strip()
        if not addr:
            raise InputError(field, f'"{entry}" in {label} has no address between < and >.', text)
    if "<" in addr or ">" in addr:
        raise InputError(
            field, f'The address "{entry}" in {label} has a "<" or ">" that does not match.', text
        )

    def bad(why: str) -> InputError:
        return InputError(field, f'The address "{addr}" in {label} {why}', text)

    if "@" not in addr:
        raise bad("is missing the @ sign. An address looks like name@example.com.")
    if addr.count("@") > 1:
        raise bad("has more than one @ sign.")
    if addr.startswith("@"):
        raise bad("is missing the part before @.")
    if addr.endswith("@"):
        raise bad("is missing the part after @.")
    if any(ch.isspace() for ch in addr):
        raise bad("contains a space.")
    if "." not in addr.rpartition("@")[2]:
        raise bad("is missing the end of the domain after @ (such as .com or .org).")
    try:
        valid = validate_email(
            addr, check_deliverability=False, allow_smtputf8=True, allow_display_name=False
        )
    except EmailNotValidError as exc:
        # email-validator's own explanation is English prose written for end users.
        raise bad(f"is not valid: {exc}") from None
    local_octets = len(valid.local_part.encode("utf-8"))
    if local_octets > MAX_LOCAL_PART_OCTETS:
        raise bad(
            f"has {local_octets} bytes before the @ sign; mail servers accept at most "
            f"{MAX_LOCAL_PART_OCTETS}. Check that the address was copied correctly."
        )
    needs_utf8 = bool(valid.smtputf8)
    return _Mailbox(
        display_name=name,
        local=valid.local_part,
        domain=valid.domain if needs_utf8 else valid.ascii_domain,
        ascii_domain=valid.ascii_domain,
        smtputf8=needs_utf8,
    )


def validate_address(text: str, field: str) -> str:
    """The bare address in `text` ("Name <a@b>" or "a@b") as it is sent; raises InputError.

    The domain is lower-cased and, unless the local part needs SMTPUTF8, in its IDNA form.
    """
    return _parse_mailbox(text, field).addr_spec


def _parse_field(field: str, entries: tuple[str, ...]) -> list[_Mailbox]:
    mailboxes: list[_Mailbox] = []
    for entry in entries:
        check_header_text(field, entry)  # before splitting, so no line break slips between items
        mailboxes.extend(_parse_mailbox(item, field) for item in split_addresses(entry))
    return mailboxes


@dataclass(frozen=True)
class _Attachment:
    name: str
    maintype: str
    subtype: str
    data: bytes


def _mime_type(name: str) -> tuple[str, str]:
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding:
        guessed = _ENCODING_TYPES.get(encoding, "application/octet-stream")
    maintype, _, subtype = (guessed or "application/octet-stream").partition("/")
    return maintype, subtype


def _too_large(name: str, path_text: str) -> InputError:
    limit = MAX_ATTACHMENT_BYTES // (1024 * 1024)
    return InputError(
        "attachments",
        f'The attachment "{name}" is too large: all attachments together may be at most '
        f"{limit} MB. Share big files through a link instead.",
        path_text,
    )


def check_attachment_file(path_text: str) -> int:
    """The size of the file at `path_text` if it can be attached; else InputError saying why.

    Used when a file is added to the compose pane and again when the message is built.
    """
    if not path_text.strip():
        raise InputError("attachments", "An attachment has no file name.", path_text)
    path = Path(path_text)
    name = attachment_name(path_text)

    def bad(why: str) -> InputError:
        return InputError("attachments", f'The attachment "{name}" {why}', path_text)

    try:
        info = path.stat()
    except FileNotFoundError:
        raise bad("was not found. It may have been moved, renamed or deleted.") from None
    except OSError:
        raise bad("cannot be read. Check that you are allowed to open it.") from None
    if stat.S_ISDIR(info.st_mode):
        raise bad("is a folder. Attach the files inside it, or a zip archive of it.")
    if not stat.S_ISREG(info.st_mode):  # a pipe or device could block or never end
        raise bad("is not an ordinary file.")
    try:  # opening is the only honest test of permission (ACLs, effective ids)
        path.open("rb").close()
    except OSError:
        raise bad("cannot be read. Check that you are allowed to open it.") from None
    return info.st_size


def _read_attachment(path_text: str, budget: int) -> _Attachment:
    size = check_attachment_file(path_text)
    name = attachment_name(path_text)
    if size > budget:
        raise _too_large(name, path_text)
    try:
        with Path(path_text).open("rb") as handle:
            data = handle.read(budget + 1)  # the file may have grown since stat()
    except OSError:
        raise InputError(
            "attachments",
            f'The attachment "{name}" cannot be read. Check that you are allowed to open it.',
            path_text,
        ) from None
    if len(data) > budget:
        raise _too_large(name, path_text)
    maintype, subtype = _mime_type(name)
    return _Attachment(name, maintype, subtype, data)


def _dedupe(mailboxes: list[_Mailbox]) -> tuple[str, ...]:
    seen: set[str] = set()
    result = []
    for box in mailboxes:
        key = box.addr_spec.casefold()
        if key not in seen:
            seen.add(key)
            result.append(box.addr_spec)
    return tuple(result)


def _normalize_body(body: str) -> str:
    """Line ends become LF (CRLF on the wire); the body always ends with a line end."""
    text = _NEWLINES.sub("\n", body)
    return text if text.endswith("\n") else text + "\n"


def build_message(draft: Draft, *, from_name: str | None = None) -> BuiltMessage:
    """Check the draft and build the message; raises InputError naming the field to fix."""
    if not draft.from_addr.strip():
        raise InputError("from", "Enter the address to send from.", draft.from_addr)
    senders = _parse_field("from", (draft.from_addr,))
    if len(senders) != 1:
        raise InputError("from", "From must contain exactly one address.", draft.from_addr)
    sender = senders[0]
    if from_name is not None:
        check_header_text("from", from_name)
    check_header_text("subject", draft.subject)
    to = _parse_field("to", draft.to)
    cc = _parse_field("cc", draft.cc)
    bcc = _parse_field("bcc", draft.bcc)
    if not (to or cc or bcc):
        raise InputError("to", "Add at least one recipient in To, Cc or Bcc.", "")

    budget = MAX_ATTACHMENT_BYTES
    attachments = []
    for path_text in draft.attachments:
        attachment = _read_attachment(path_text, budget)
        budget -= len(attachment.data)
        attachments.append(attachment)

    smtputf8 = any(box.smtputf8 for box in (sender, *to, *cc, *bcc))
    # 7-bit transfer encodings for the body and files: safe with servers without 8BITMIME.
    base = email_policy.SMTPUTF8 if smtputf8 else email_policy.SMTP
    policy = base.clone(cte_type="7bit")
    msg = EmailMessage(policy=policy)
    msg["From"] = sender.header_address(_tabs_to_spaces(from_name) if from_name else None)
    if to:
        msg["To"] = [box.header_address() for box in to]
    if cc:
        msg["Cc"] = [box.header_address() for box in cc]
    if not (to or cc):
        msg["To"] = "undisclosed-recipients:;"
    # Header parsing drops leading blanks, so surrounding spaces and tabs are not sent at all.
    msg["Subject"] = _tabs_to_spaces(draft.subject).strip(" ")
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.ascii_domain)
    msg.set_content(_normalize_body(draft.body), charset="utf-8")
    for attachment in attachments:
        msg.add_attachment(
            attachment.data,
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.name,
        )
    if attachments:
        msg.set_boundary(_boundary(msg))
    return BuiltMessage(
        message=msg,
        envelope_from=sender.addr_spec,
        recipients=_dedupe([*to, *cc, *bcc]),
        smtputf8=smtputf8,
    )


def _boundary(msg: EmailMessage) -> str:
    """A multipart boundary found in no part's text, chosen now rather than by the generator.

    The generator picks one only after rendering every sub-part into one bytes object, with
    the stdlib's whole-part line splitting (100 ms and more under the interpreter lock for a
    20 MB file); with the boundary set, the engine's serializer streams the parts instead.
    Base64 text never contains "=" runs, so only the other parts need checking.
    """
    texts = [
        part.get_payload()
        for part in msg.walk()
        if not part.is_multipart() and part.get("Content-Transfer-Encoding", "") != "base64"
    ]
    while True:
        boundary = "=" * 15 + secrets.token_hex(10) + "=="
        if not any(isinstance(text, str) and boundary in text for text in texts):
            return boundary
