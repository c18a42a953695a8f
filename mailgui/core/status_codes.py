"""SMTP reply codes and RFC 3463 enhanced status codes, as data, in plain words.

The diagnosis decodes a server reply by its numbers, never by its wording: servers word things in
many ways (and languages), but `535 5.7.8` means the same everywhere. Sources: RFC 5321 (reply
codes), RFC 3463 (enhanced codes), RFC 4954 (AUTH), and the IANA "SMTP Enhanced Status Codes"
registry (RFC 5248 and later additions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# First digit of an enhanced code: how final the answer is.
CLASS_MEANINGS: dict[str, str] = {
    "2": "success",
    "4": "temporary failure: the same message may go through if you try again later",
    "5": "permanent failure: trying again unchanged will fail the same way",
}

# Second number: what area the problem is in.
SUBJECT_MEANINGS: dict[str, str] = {
    "0": "other or undefined status",
    "1": "a problem with an address",
    "2": "a problem with the recipient's mailbox",
    "3": "a problem with the receiving mail system",
    "4": "a network or routing problem",
    "5": "a mail protocol problem",
    "6": "a problem with the message content",
    "7": "a security or policy decision",
}

# "subject.detail" -> plain meaning. The class digit is left out: 4.2.2 and 5.2.2 mean the same
# thing, one temporary and one permanent.
DETAIL_MEANINGS: dict[str, str] = {
    "0.0": "other undefined status",
    "1.0": "other address status",
    "1.1": "the recipient's mailbox does not exist (bad destination mailbox address)",
    "1.2": "the recipient's domain does not exist or does not accept mail "
    "(bad destination system address)",
    "1.3": "the recipient address is not written correctly (bad address syntax)",
    "1.4": "the recipient address is ambiguous",
    "1.5": "the recipient address is valid",
    "1.6": "the recipient's mailbox has moved and there is no forwarding address",
    "1.7": "the sender address is not written correctly or is not accepted "
    "(bad sender mailbox address)",
    "1.8": "the sender's domain is not valid (bad sender system address)",
    "1.9": "the message was relayed to a mail system that does not report delivery",
    "1.10": "the recipient's domain says it accepts no mail at all (null MX)",
    "2.0": "other or undefined mailbox status",
    "2.1": "the recipient's mailbox is disabled and does not accept messages",
    "2.2": "the recipient's mailbox is full",
    "2.3": "the message is larger than this mailbox accepts",
    "2.4": "a mailing list could not be expanded",
    "3.0": "other or undefined mail system status",
    "3.1": "the mail system is full (out of storage)",
    "3.2": "the mail system is not accepting network messages right now",
    "3.3": "the mail system cannot handle a feature the message needs",
    "3.4": "the message is too big for the mail system",
    "3.5": "the mail system is configured incorrectly",
    "3.6": "the requested priority was changed",
    "4.0": "other or undefined network or routing status",
    "4.1": "the next server did not answer",
    "4.2": "the connection to the next server broke",
    "4.3": "a directory server (such as DNS) failed",
    "4.4": "the message could not be routed to its destination",
    "4.5": "the mail system is congested or a sending limit was reached",
    "4.6": "a routing loop was detected",
    "4.7": "the delivery time expired",
    "5.0": "other or undefined protocol status",
    "5.1": "the server did not understand a command",
    "5.2": "a command was not written correctly (syntax error)",
    "5.3": "the message has too many recipients",
    "5.4": "a command had invalid arguments",
    "5.5": "wrong protocol version",
    "5.6": "the sign-in exchange line was too long",
    "6.0": "other or undefined problem with the message content",
    "6.1": "the message contains a kind of content that is not supported",
    "6.2": "the message would need converting, and converting is not allowed",
    "6.3": "the message would need converting, and the server cannot convert it",
    "6.4": "the message was converted and lost some content",
    "6.5": "converting the message failed",
    "6.6": "the message content is not available",
    "6.7": "non-ASCII addresses are not allowed for this sender or recipient",
    "6.8": "a UTF-8 reply is required but the client does not allow it",
    "6.9": "a message with UTF-8 headers cannot be delivered to a recipient",
    "7.0": "other security or policy status (often: sign-in or encryption required first)",
    "7.1": "the server refuses this message or sender by policy "
    "(not authorised, relaying denied, or blocked)",
    "7.2": "expanding a mailing list is not allowed",
    "7.3": "a required security conversion is not possible",
    "7.4": "a security feature is not supported",
    "7.5": "a cryptographic operation failed",
    "7.6": "a cryptographic algorithm is not supported",
    "7.7": "the message failed an integrity check",
    "7.8": "the user name or password was not accepted (authentication credentials invalid)",
    "7.9": "the sign-in method is too weak for this server "
    "(often: an app-specific password is required)",
    "7.10": "encryption is needed",
    "7.11": "this sign-in method needs an encrypted connection",
    "7.12": "a password change or transition is needed before you can sign in",
    "7.13": "the user account is disabled",
    "7.14": "a trust relationship is required",
    "7.15": "the message's priority level is too low",
    "7.16": "the message is too big for the requested priority",
    "7.17": "the mailbox owner has changed",
    "7.18": "the domain owner has changed",
    "7.19": "a required verification test could not be completed",
    "7.20": "no passing DKIM signature was found",
    "7.21": "no acceptable DKIM signature was found",
    "7.22": "no valid DKIM signature matching the author was found",
    "7.23": "the sender's domain SPF check failed",
    "7.24": "the sender's domain SPF check could not be completed",
    "7.25": "the sending server's reverse DNS check failed",
    "7.26": "several sender authentication checks failed (for example DMARC)",
    "7.27": "the sender's domain says it sends no mail (null MX)",
    "7.28": "too many similar messages were detected (mail flood)",
    "7.29": "the ARC check failed",
    "7.30": "the message requires TLS all the way (REQUIRETLS), which is not available",
}

# Basic SMTP reply codes (RFC 5321, RFC 4954, RFC 3207) in plain words.
REPLY_MEANINGS: dict[int, str] = {
    211: "system status",
    214: "help message",
    220: "service ready",
    221: "closing the connection",
    235: "signed in",
    250: "accepted",
    251: "accepted; the recipient is not local and the mail will be forwarded",
    252: "cannot verify the user, but will try to deliver",
    334: "waiting for sign-in data",
    354: "ready for the message text",
    421: "the service is not available right now and the server is closing the connection",
    432: "a password transition is needed",
    450: "the mailbox is not available right now",
    451: "the server had a local error while processing the request",
    452: "the server has not enough storage right now, or too many recipients",
    454: "a temporary failure (sign-in or encryption not available right now)",
    455: "the server cannot accept the parameters right now",
    500: "the server did not recognise the command",
    501: "a command's arguments were not accepted",
    502: "the command is not implemented",
    503: "the commands came in the wrong order",
    504: "a command parameter is not implemented",
    521: "the server does not accept mail",
    523: "the message is too big",
    530: "sign-in or encryption is required first",
    534: "the sign-in method is too weak",
    535: "the user name or password was not accepted",
    538: "this sign-in method needs an encrypted connection",
    550: "the request was refused (mailbox unavailable, or refused by policy)",
    551: "the user is not local",
    552: "the message is too big, or storage was exceeded",
    553: "the mailbox name is not allowed (often: the sender address is not allowed)",
    554: "the transaction failed (often: refused by policy or as spam)",
    555: "the MAIL FROM or RCPT TO parameters were not recognised",
    556: "the domain does not accept mail",
}

REPLY_CLASS_MEANINGS: dict[int, str] = {
    2: "success",
    3: "the server is waiting for more input",
    4: "a temporary failure: trying again later may work",
    5: "a permanent failure: trying again unchanged will fail the same way",
}

# An enhanced code stands at the start of the reply text (RFC 2034), possibly after "NNN-".
_ENHANCED_AT_START = re.compile(r"^\s*(?:\d{3}[ -])?([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
# Some servers put it elsewhere (for example after a bracketed tag); accept it anywhere as a
# fallback, but only with the class digit matching the reply code's class.
_ENHANCED_ANYWHERE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")


@dataclass(frozen=True)
class EnhancedCode:
    """A parsed `class.subject.detail` code."""

    klass: int
    subject: int
    detail: int

    def __str__(self) -> str:
        return f"{self.klass}.{self.subject}.{self.detail}"

    @property
    def key(self) -> str:
        """`subject.detail`, the part whose meaning does not depend on the class."""
        return f"{self.subject}.{self.detail}"

    @property
    def transient(self) -> bool:
        return self.klass == 4

    @property
    def permanent(self) -> bool:
        return self.klass == 5


def parse_enhanced(text: str, reply_code: int | None = None) -> EnhancedCode | None:
    """Find the enhanced status code in a reply text (first line first), or None."""
    if not text:
        return None
    for line in text.splitlines() or [text]:
        match = _ENHANCED_AT_START.match(line)
        if match:
            return _make(match)
    wanted = str(reply_code)[0] if reply_code and 200 <= reply_code <= 599 else None
    for match in _ENHANCED_ANYWHERE.finditer(text[:2000]):
        if wanted is None or match.group(1) == wanted:
            return _make(match)
    return None


def _make(match: re.Match[str]) -> EnhancedCode:
    return EnhancedCode(int(match.group(1)), int(match.group(2)), int(match.group(3)))


def enhanced_meaning(code: EnhancedCode | str | None) -> str | None:
    """Plain meaning of an enhanced code: its detail if known, else its subject, with its class."""
    if code is None:
        return None
    if isinstance(code, str):
        parsed = parse_enhanced(code)
        if parsed is None:
            return None
        code = parsed
    detail = DETAIL_MEANINGS.get(code.key)
    if detail is None:
        subject = SUBJECT_MEANINGS.get(str(code.subject), "an unregistered kind of status")
        detail = f"{subject} (detail {code.detail} is not a registered code)"
    klass = CLASS_MEANINGS.get(str(code.klass))
    return f"{detail[0].upper()}{detail[1:]}; {klass}." if klass else f"{detail}."


def reply_class(code: int | None) -> int | None:
    """The first digit of a valid three-digit reply code, else None."""
    if code is None or not 200 <= code <= 599:
        return None
    return code // 100


def reply_meaning(code: int | None) -> str | None:
    """Plain meaning of a basic reply code (falls back to its class)."""
    if code is None:
        return None
    if code in REPLY_MEANINGS:
        return REPLY_MEANINGS[code]
    klass = reply_class(code)
    return REPLY_CLASS_MEANINGS.get(klass) if klass else None
