"""What the dump sensor does on one tick, without Dagster: list new dumps, explain skips.

The cursor keeps, per source, the newest dump date seen. A tick lists each source's prefix
from that date's folder on (`start_offset`), never the whole landing area, so it re-reads
at most the newest date's files (catching late files and re-uploads there) plus anything
newer. Dedup is by `LandedFile.run_key` (key@version): Dagster skips a run key it has seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from elt_pipeline.lib.landing import BadDumpPath, DumpPath, LandedFile, Landing, is_temporary, parse_dump_key


@dataclass(frozen=True)
class Discovery:
    dumps: list[tuple[LandedFile, DumpPath]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one human-readable reason per file/folder
    cursor: str = "{}"


def discover_dumps(landing: Landing, sources: list[str], cursor: str | None) -> Discovery:
    """Dumps landed since `cursor` (a JSON map source -> newest date seen) and the new cursor."""
    newest: dict[str, str] = json.loads(cursor) if cursor else {}
    dumps: list[tuple[LandedFile, DumpPath]] = []
    skipped = [
        f"{name}: unknown source folder (configured: {', '.join(sources)})"
        for name in landing.top_level_names()
        if name not in sources and not is_temporary(name)
    ]
    for source in sources:
        prefix = f"{source}/"
        start = f"{prefix}{newest[source]}/" if source in newest else prefix
        for landed in landing.list_from(prefix, start):
            if is_temporary(landed.key):
                continue
            try:
                dump_path = parse_dump_key(landed.key, sources)
            except BadDumpPath as reason:
                skipped.append(str(reason))
                continue
            dumps.append((landed, dump_path))
            newest[source] = max(newest.get(source, ""), dump_path.dump_date)
    return Discovery(dumps=dumps, skipped=skipped, cursor=json.dumps(newest, sort_keys=True))
