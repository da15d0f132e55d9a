"""What the dump sensor does on one tick, without Dagster: list new dumps, explain skips.

The cursor keeps, per source, the newest dump date seen and the versions of the files in that
date's folder. A tick lists each source's prefix from that folder on (`start_offset`), never
the whole landing area: it re-reads at most the newest date's files (so a late file or a
re-upload there is caught) plus anything newer, and reports only keys at a version it has not
seen. `LandedFile.run_key` (key@version) also makes Dagster drop a duplicate request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from elt_pipeline.lib.storage import LandedFile, Landing
from elt_pipeline.lib.storage.layout import BadDumpPath, DumpPath, is_temporary, parse_dump_key


@dataclass(frozen=True)
class Discovery:
    dumps: list[tuple[LandedFile, DumpPath]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one human-readable reason per file/folder
    cursor: str = "{}"


def discover_dumps(landing: Landing, sources: list[str], cursor: str | None) -> Discovery:
    """Dumps landed since `cursor` (JSON: source -> {date, versions}) and the new cursor."""
    state: dict[str, dict] = json.loads(cursor) if cursor else {}
    dumps: list[tuple[LandedFile, DumpPath]] = []
    skipped = [
        f"{name}: unknown source folder (configured: {', '.join(sources)})"
        for name in landing.top_level_names()
        if name not in sources and not is_temporary(name)
    ]
    for source in sources:
        seen = state.get(source, {"date": "", "versions": {}})
        prefix = f"{source}/"
        newest, versions = seen["date"], {}
        for landed in landing.list_from(prefix, f"{prefix}{seen['date']}/" if seen["date"] else prefix):
            if is_temporary(landed.key):
                continue
            try:
                dump_path = parse_dump_key(landed.key, sources)
            except BadDumpPath as reason:
                skipped.append(str(reason))
                continue
            if seen["versions"].get(landed.key) != landed.version:
                dumps.append((landed, dump_path))
            if dump_path.dump_date > newest:
                newest, versions = dump_path.dump_date, {}
            if dump_path.dump_date == newest:
                versions[landed.key] = landed.version
        if newest:
            state[source] = {"date": newest, "versions": versions}
    return Discovery(dumps=dumps, skipped=skipped, cursor=json.dumps(state, sort_keys=True))
