"""Real parts the tests need (MariaDB, emulators, the shared corpus, the compiled tokenizer)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def skip_or_fail(reason: str, *, module_level: bool = False) -> NoReturn:
    """Skip when a real part is missing on a developer machine; fail under `CI=true`, where
    `.ci/run` installs everything and a broken install must not pass silently."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)
