"""The connection wizard's certificate page: the whole certificate of a server the system does
not trust, and the choice to trust exactly it (a SHA-256 pin) for that host and port."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWizardPage,
)

from mailgui.core.smtp_tls import TlsInfo
from mailgui.ui.wizard_widgets import make_button, wrapping_label

if TYPE_CHECKING:
    from mailgui.ui.wizard import ConnectionWizard


class CertificatePage(QWizardPage):
    """The whole certificate, and the choice to trust exactly it for this host and port."""

    def __init__(self, wizard: ConnectionWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Check the server's certificate")
        self.setSubTitle(
            "Your system does not trust this certificate. Trust it only if you know this server "
            "(your own, a company server, a local bridge) and the fingerprint below matches the "
            "one your provider or administrator gives you."
        )
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label in (
            ("where", "Server"),
            ("problem", "Problem"),
            ("subject", "Subject"),
            ("names", "Valid for"),
            ("issuer", "Issued by"),
            ("not_before", "Valid from"),
            ("not_after", "Valid until"),
            ("sha256", "SHA-256 fingerprint"),
        ):
            value = wrapping_label(f"cert_{key}")
            self.fields[key] = value
            form.addRow(f"{label}:", value)
        self.fields["sha256"].setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.confirm = QCheckBox()
        self.confirm.setObjectName("trustConfirm")
        self.confirm.setAccessibleName("trustConfirm")
        self.trust = make_button("trustAndTestButton", "Trust and test again")
        self.trust.setEnabled(False)
        self.confirm.toggled.connect(self.trust.setEnabled)
        self.trust.clicked.connect(self.wiz.trust_certificate)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.confirm)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.trust)
        layout.addLayout(row)
        layout.addStretch(1)

    def initializePage(self) -> None:
        result = self.wiz.probe_result
        cert: TlsInfo | None = result.certificate if result else None
        if result is None or cert is None:
            return
        s = result.settings
        problem = result.diagnosis.title if result.diagnosis else "not verified"
        values = {
            "where": f"{s.host}, port {s.port} ({s.security.label})",
            "problem": problem,
            "subject": cert.subject or "-",
            "names": ", ".join(cert.names) or "-",
            "issuer": cert.issuer or "-",
            "not_before": cert.not_before or "-",
            "not_after": cert.not_after or "-",
            "sha256": _grouped(cert.sha256_colons),
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        self.confirm.setChecked(False)
        self.confirm.setText(
            f"I checked the fingerprint: trust exactly this certificate for {s.host} port {s.port}"
        )


def _grouped(colons: str) -> str:
    """Fingerprint in two lines of 16 bytes, easier to compare by eye."""
    parts = colons.split(":")
    return "\n".join(":".join(parts[i : i + 16]) for i in range(0, len(parts), 16))
