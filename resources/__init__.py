"""Bundled resources: icons, desktop integration, provider data (installed as mailgui.resources)."""
