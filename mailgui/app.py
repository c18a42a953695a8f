"""Composition root: parse the command line, then run the CLI, the smoke test or the GUI.

Qt is imported only on the GUI paths, so `mailgui check` starts fast and works without a display.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

CLI_COMMANDS = ("check", "send", "probe", "autoconfig")


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked for: importlib.metadata costs ~15 ms of start-up."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version"
        )

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        from mailgui import __version__

        print(f"mailgui {__version__}")  # stdout, as argparse's own "version" action does
        parser.exit()


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailgui",
        description="Send mail, and understand why sending failed. "
        f"Commands without a window: {', '.join(CLI_COMMANDS)} (see `mailgui COMMAND --help`).",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--config-dir",
        type=Path,
        help="keep all settings, drafts and the outbox in this folder",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="start the built-in local test server and its Sandbox account",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start with a temporary config folder, check the essentials, print one line, exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in CLI_COMMANDS:
        from mailgui.cli import main as cli_main

        return cli_main(args)
    options = _gui_parser().parse_args(args)
    if options.smoke:
        from mailgui.smoke import run_smoke

        return run_smoke()
    from mailgui.ui.application import run

    return run(config_dir=options.config_dir, sandbox=options.sandbox)


if __name__ == "__main__":
    sys.exit(main())
