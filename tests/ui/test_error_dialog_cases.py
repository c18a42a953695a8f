"""Hand-made Diagnosis values, one per Category, shaped like what explain() returns.

Used by the error dialog tests where explain() has no real exception to start from."""

from __future__ import annotations

from mailgui.core.diagnosis_types import Action, Category, Diagnosis, RefusedRecipient

HOST = "smtp.example.com"

SAMPLES: dict[Category, Diagnosis] = {
    Category.DNS: Diagnosis(
        Category.DNS,
        "The server name smtp.exmaple.com does not exist",
        "Looking up smtp.exmaple.com in DNS found nothing, so mailgui could not connect.",
        ("Check the spelling of the server name.", "Check that this computer is online."),
        stage="dns",
        actions=(Action.EDIT_ACCOUNT, Action.TEST_CONNECTION),
        field="smtp.host",
    ),
    Category.CONNECT: Diagnosis(
        Category.CONNECT,
        f"{HOST} refused the connection on port 2525",
        "The server is reachable but nothing accepts mail on that port.",
        ("Use port 587 with STARTTLS, or 465 with SSL/TLS.",),
        stage="connect",
        actions=(Action.EDIT_ACCOUNT, Action.TEST_CONNECTION),
        field="smtp.port",
    ),
    Category.TIMEOUT: Diagnosis(
        Category.TIMEOUT,
        f"{HOST} did not answer within 30 seconds",
        "The connection was opened, but the server stopped answering.",
        ("Try again in a few minutes.", "A firewall may block port 587."),
        stage="envelope",
        retryable=True,
        actions=(Action.RETRY, Action.TEST_CONNECTION),
    ),
    Category.TLS_MODE: Diagnosis(
        Category.TLS_MODE,
        "Port 587 expects STARTTLS, not SSL/TLS",
        "mailgui started an encrypted connection, but the server first speaks plain SMTP.",
        ("Set security to STARTTLS for port 587, or use port 465 with SSL/TLS.",),
        stage="tls",
        actions=(Action.EDIT_ACCOUNT, Action.TEST_CONNECTION),
        field="smtp.security",
        suggestion={"security": "starttls", "port": 587},
    ),
    Category.CERTIFICATE: Diagnosis(
        Category.CERTIFICATE,
        "The server's certificate is not trusted",
        "127.0.0.1 presented a self-signed certificate. Anyone could have made it, so mailgui "
        "did not send your password.",
        (
            "If this is a server you run yourself, compare the fingerprint below with the "
            "server's, then trust this certificate.",
            "Otherwise, do not trust it: someone may be intercepting the connection.",
        ),
        stage="starttls",
        actions=(Action.TRUST_CERTIFICATE, Action.EDIT_ACCOUNT),
        field="smtp.pinned_sha256",
    ),
    Category.STARTTLS: Diagnosis(
        Category.STARTTLS,
        "The server requires an encrypted connection",
        "The server refused to go on until the connection is encrypted with STARTTLS.",
        ("Set security to STARTTLS.",),
        reply_code=530,
        enhanced_code="5.7.0",
        enhanced_meaning="Other security problem",
        server_reply="530 5.7.0 Must issue a STARTTLS command first.",
        stage="envelope",
        actions=(Action.EDIT_ACCOUNT,),
        field="smtp.security",
    ),
    Category.AUTH_UNAVAILABLE: Diagnosis(
        Category.AUTH_UNAVAILABLE,
        "The server does not offer sign-in here",
        "The server did not list AUTH, so there is no way to sign in on this connection.",
        ("Turn on STARTTLS: many servers offer sign-in only on an encrypted link.",),
        stage="auth",
        actions=(Action.EDIT_ACCOUNT, Action.TEST_CONNECTION),
    ),
    Category.AUTH: Diagnosis(
        Category.AUTH,
        "Gmail needs an app password",
        "Your Google account uses 2-Step Verification, so Gmail does not accept your normal "
        "password for sending mail from other apps.",
        (
            "Create an app password: Google Account, Security, App passwords "
            "(https://myaccount.google.com/apppasswords).",
            "Enter the 16-letter app password here instead of your normal password.",
        ),
        reply_code=534,
        enhanced_code="5.7.9",
        enhanced_meaning="Authentication mechanism is too weak",
        server_reply="534-5.7.9 Application-specific password required. Learn more at\n"
        "534 5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor",
        provider="Gmail",
        help_url="https://support.google.com/mail/?p=InvalidSecondFactor",
        stage="auth",
        actions=(Action.ENTER_PASSWORD, Action.EDIT_ACCOUNT),
        field="smtp.password",
        hint="With 2-Step Verification on, Gmail only accepts app passwords.",
    ),
    Category.SENDER: Diagnosis(
        Category.SENDER,
        "The server does not let you send as boss@example.com",
        "The From address is not one this account may use.",
        ("Send from your own address, or add this one as an alias at your provider.",),
        reply_code=553,
        enhanced_code="5.7.1",
        enhanced_meaning="Delivery not authorized",
        server_reply="553 5.7.1 <boss@example.com>: Sender address rejected: not owned by user",
        stage="envelope",
        actions=(Action.EDIT_MESSAGE, Action.EDIT_ACCOUNT),
        field="from",
    ),
    Category.RECIPIENTS: Diagnosis(
        Category.RECIPIENTS,
        "Sent, but 1 of 2 recipients was refused",
        "The message went to bob@example.org. The server refused ann@exmaple.org.",
        ("Check the spelling of ann@exmaple.org and send it again to that address only.",),
        reply_code=550,
        enhanced_code="5.1.1",
        enhanced_meaning="Bad destination mailbox address",
        server_reply="550 5.1.1 <ann@exmaple.org>: Recipient address rejected: User unknown",
        stage="envelope",
        actions=(Action.EDIT_MESSAGE,),
        field="to",
        refused=(
            RefusedRecipient(
                "ann@exmaple.org",
                550,
                "5.1.1",
                "No such mailbox",
                "550 5.1.1 <ann@exmaple.org>: Recipient address rejected: User unknown",
            ),
        ),
    ),
    Category.DATA: Diagnosis(
        Category.DATA,
        "The server refused the message content",
        "The server accepted the addresses but rejected the message itself.",
        ("Remove unusual attachments and try again.",),
        reply_code=554,
        enhanced_code="5.6.0",
        enhanced_meaning="Other or undefined media error",
        server_reply="554 5.6.0 Message rejected: content not allowed",
        stage="data",
        actions=(Action.EDIT_MESSAGE,),
    ),
    Category.SIZE: Diagnosis(
        Category.SIZE,
        "The message is too big for the server",
        "The message is 31 MB; the server accepts at most 25 MB.",
        ("Remove or shrink attachments, or share large files with a link.",),
        reply_code=552,
        enhanced_code="5.3.4",
        enhanced_meaning="Message too big for system",
        server_reply="552 5.3.4 Error: message file too big",
        stage="data",
        actions=(Action.EDIT_MESSAGE,),
        field="attachments",
    ),
    Category.RATE_LIMIT: Diagnosis(
        Category.RATE_LIMIT,
        "You sent too much mail for now",
        "The server limits how much mail an account may send per day.",
        ("Wait and try again later (often 24 hours).",),
        reply_code=451,
        enhanced_code="4.7.0",
        enhanced_meaning="Temporary security or policy problem",
        server_reply="451 4.7.0 Daily sending quota exceeded",
        stage="envelope",
        retryable=True,
        actions=(Action.RETRY,),
    ),
    Category.DISCONNECTED: Diagnosis(
        Category.DISCONNECTED,
        "The server closed the connection while the message was being sent",
        "The connection dropped in the middle of sending; the message was not delivered.",
        ("Try again.", "If it keeps happening, the message may be too large for the server."),
        stage="data",
        retryable=True,
        actions=(Action.RETRY, Action.TEST_CONNECTION),
    ),
    Category.PROTOCOL: Diagnosis(
        Category.PROTOCOL,
        "The server does not speak SMTP on this port",
        "Its greeting was not an SMTP greeting.",
        ("Check the port number: SMTP uses 587, 465 or 25.",),
        server_reply="* OK IMAP4rev1 Service Ready",
        stage="ehlo",
        actions=(Action.EDIT_ACCOUNT, Action.TEST_CONNECTION),
        field="smtp.port",
    ),
    Category.INSECURE: Diagnosis(
        Category.INSECURE,
        "mailgui did not send your password unencrypted",
        "The connection is not encrypted, and this account does not allow sending the password "
        "in the clear.",
        ("Turn on STARTTLS or SSL/TLS.",),
        stage="auth",
        actions=(Action.EDIT_ACCOUNT,),
        field="smtp.security",
    ),
    Category.KEYRING: Diagnosis(
        Category.KEYRING,
        "The password could not be saved in the keyring",
        "No keyring service is running on this computer.",
        ("Install and start a Secret Service (GNOME Keyring or KWallet).",),
        actions=(Action.ENTER_PASSWORD,),
    ),
    Category.INPUT: Diagnosis(
        Category.INPUT,
        "The To address is not valid",
        "ann(at)example.org is not an email address.",
        ("Write it as name@example.org.",),
        stage="envelope",
        actions=(Action.EDIT_MESSAGE,),
        field="to",
    ),
    Category.CANCELLED: Diagnosis(
        Category.CANCELLED,
        "Sending was cancelled",
        "You stopped sending; the message was not sent and is still in the outbox.",
        ("Send it again when you are ready.",),
        stage="data",
        actions=(Action.RETRY,),
    ),
}


def test_every_category_has_a_sample() -> None:
    assert set(SAMPLES) == set(Category)
    for category, diagnosis in SAMPLES.items():
        assert diagnosis.category is category
