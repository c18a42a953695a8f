"""The message being written, saved as it is typed so a restart or a crash loses nothing."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from pathlib import Path

from mailgui.core.fileio import atomic_write_json
from mailgui.core.message import Draft

log = logging.getLogger(__name__)

DRAFT_SCHEMA = 1


class DraftStore:
    """One current draft per config folder (the compose pane holds one message at a time)."""

    def __init__(self, config_dir: Path) -> None:
        self.path = Path(config_dir) / "drafts" / "current.json"
        # Where the last unreadable draft was kept, so the UI can tell the user about it.
        self.rescued: Path | None = None

    def save(self, draft: Draft, account_id: str | None) -> None:
        atomic_write_json(
            self.path,
            {"schema": DRAFT_SCHEMA, "account_id": account_id, "draft": draft.to_dict()},
        )

    def load(self) -> tuple[Draft, str | None] | None:
        """The saved draft and its account, or None when there is none or it is unreadable.

        An unreadable draft is kept aside rather than overwritten by the next autosave, so the
        text can still be rescued by hand.
        """
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            draft = Draft.from_dict(data["draft"])
            account_id = data.get("account_id")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A time-stamped name: a second damaged draft must not overwrite the first one.
            stamp = time.strftime("%Y%m%dT%H%M%S")
            aside = self.path.with_name(f"unreadable-{stamp}-{time.time_ns() % 10**9}.json")
            log.warning("draft %s unreadable (%s); kept as %s", self.path, exc, aside.name)
            with contextlib.suppress(OSError):
                self.path.replace(aside)
                self.rescued = aside
            return None
        return draft, account_id if isinstance(account_id, str) else None

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
