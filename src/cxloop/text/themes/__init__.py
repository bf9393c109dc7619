"""Themes: discovered and user-defined, one editable taxonomy (docs/themes.md)."""
