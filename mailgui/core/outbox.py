"""Messages that failed to send (the Outbox) and a record of what was sent (the Sent log)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mailgui.core.fileio import atomic_write_json, atomic_write_text
from mailgui.core.message import Draft

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxItem:
    id: str
    account_id: str | None
    draft: Draft
    created: float
    attempts: int = 1
    last_error: dict[str, Any] | None = None  # Diagnosis.to_json() of the last failure

    def with_failure(self, error: dict[str, Any] | None) -> OutboxItem:
        return replace(self, attempts=self.attempts + 1, last_error=error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "draft": self.draft.to_dict(),
            "created": self.created,
            "attempts": self.attempts,
            "last_error": self.last_error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboxItem:
        return cls(
            id=str(data["id"]),
            account_id=data.get("account_id"),
            draft=Draft.from_dict(data["draft"]),
            created=float(data.get("created", 0.0)),
            attempts=int(data.get("attempts", 1)),
            last_error=data.get("last_error"),
        )


class Outbox:
    """One JSON file per message, so a damaged file costs one message, never the whole box."""

    def __init__(self, config_dir: Path) -> None:
        self.folder = Path(config_dir) / "outbox"

    def _path(self, item_id: str) -> Path:
        if not item_id.isalnum():  # ids are ours (uuid hex); refuse anything path-like
            raise ValueError(f"not an outbox id: {item_id!r}")
        return self.folder / f"{item_id}.json"

    def add(self, draft: Draft, account_id: str | None, error: dict[str, Any] | None) -> OutboxItem:
        item = OutboxItem(
            id=uuid.uuid4().hex,
            account_id=account_id,
            draft=draft,
            created=time.time(),
            last_error=error,
        )
        self.update(item)
        return item

    def update(self, item: OutboxItem) -> None:
        atomic_write_json(self._path(item.id), item.to_dict())

    def remove(self, item_id: str) -> None:
        self._path(item_id).unlink(missing_ok=True)

    def get(self, item_id: str) -> OutboxItem | None:
        try:
            return OutboxItem.from_dict(json.loads(self._path(item_id).read_text("utf-8")))
        except FileNotFoundError:
            return None

    def items(self) -> list[OutboxItem]:
        """Oldest first; unreadable files are skipped (and logged), never deleted."""
        found: list[OutboxItem] = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                found.append(OutboxItem.from_dict(json.loads(path.read_text("utf-8"))))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("skipping unreadable outbox file %s: %s", path.name, exc)
        return sorted(found, key=lambda item: item.created)


@dataclass(frozen=True)
class SentRecord:
    account_id: str | None
    from_addr: str
    subject: str
    time: float
    recipients: dict[str, dict[str, Any]]  # address -> {"accepted", "code", "message"}
    server_reply: str = ""

    @property
    def refused(self) -> list[str]:
        return [addr for addr, info in self.recipients.items() if not info.get("accepted")]


class SentLog:
    """An append-only JSON-lines log: one line per sent message."""

    def __init__(self, config_dir: Path) -> None:
        self.path = Path(config_dir) / "sent.jsonl"

    def record(self, rec: SentRecord) -> None:
        line = json.dumps(asdict(rec), ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            atomic_write_text(self.path, "")
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def items(self) -> list[SentRecord]:
        """Newest first. A torn last line (crash mid-write) is skipped, not fatal."""
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        records: list[SentRecord] = []
        for line in lines:
            try:
                records.append(SentRecord(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        records.sort(key=lambda rec: rec.time, reverse=True)
        return records
