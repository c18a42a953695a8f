"""Test fixtures (being written)."""
