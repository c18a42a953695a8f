"""Entry script for frozen builds (PyInstaller): the same program as the `mailgui` command."""

import sys

from mailgui.app import main

if __name__ == "__main__":
    sys.exit(main())
