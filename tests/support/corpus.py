"""The shared corpus of real mariadb-dump files (`../shared/corpus/`, or `ELT_CORPUS_DIR`)."""

from __future__ import annotations

import os
from pathlib import Path


def corpus_dir() -> Path:
    configured = os.environ.get("ELT_CORPUS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


CORPUS_DUMPS = sorted(corpus_dir().glob("*.sql.gz"))
