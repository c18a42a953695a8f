"""`python -m mailgui` is the same program as the `mailgui` command."""

import sys

from mailgui.app import main

sys.exit(main())
