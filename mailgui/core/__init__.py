"""The Qt-free heart of mailgui: everything that talks to a server, stores, decides or explains.

Nothing under this package may import Qt (tests/core/test_no_qt.py enforces it).
"""
