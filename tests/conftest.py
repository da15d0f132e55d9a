"""Shared fixtures; the project root is importable as `tests.*` for the support helpers."""
