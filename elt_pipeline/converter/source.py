"""Read a dump once: decompress (gzip detected by magic bytes), hash and size the stored bytes."""

from __future__ import annotations

import hashlib
import queue
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

try:  # ISA-L: the same gzip checks, about twice as fast as zlib, when installed
    from isal import isal_zlib as _inflate
except ImportError:
    _inflate = zlib

import contextlib

from .errors import Problem

GZIP_MAGIC = b"\x1f\x8b"
READ_SIZE = 1 << 20  # stored bytes read at a time
MAX_CHUNK = 4 << 20  # decompressed bytes handed out at a time
PREFETCH = 4  # chunks decompressed ahead (bounds memory)
_END = object()


class DumpSource:
    """The decompressed bytes of `path` as chunks; `sha256`/`size` are final after the last chunk."""

    def __init__(self, path: Path, max_bytes: int | None):
        self.path = path
        self.size = path.stat().st_size
        if max_bytes is not None and self.size > max_bytes:
            raise Problem(f"dump is {self.size} bytes, more than max_bytes={max_bytes}")
        with open(path, "rb") as handle:
            self.compressed = handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        self._sha = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def _stored(self) -> Iterator[bytes]:
        with open(self.path, "rb") as handle:
            while block := handle.read(READ_SIZE):
                self._sha.update(block)
                yield block

    def chunks(self) -> Iterator[bytes]:
        """Decompressed bytes, read ahead by a thread; raises Problem on a damaged gzip stream."""
        return _read_ahead(self._chunks(), PREFETCH)

    def _chunks(self) -> Iterator[bytes]:
        stored = self._stored()
        first = next(stored, b"")
        if not self.compressed:
            if first:
                yield first
            yield from stored
            return
        yield from _gunzip(first, stored)


def _gunzip(first: bytes, stored: Iterator[bytes], inflate: ModuleType = _inflate) -> Iterator[bytes]:
    """Multi-member gzip; `inflate` (zlib or isal_zlib) checks each member's CRC32 and length."""
    decoder = inflate.decompressobj(wbits=31)
    pending: bytes | None = first
    in_member = True
    try:
        while pending is not None:
            while pending:
                in_member = True
                out = decoder.decompress(pending, MAX_CHUNK)
                pending = decoder.unconsumed_tail
                if out:
                    yield out
                if decoder.eof:
                    pending = decoder.unused_data + pending
                    decoder = inflate.decompressobj(wbits=31)
                    in_member = False
                    if pending and not pending.startswith(GZIP_MAGIC[: len(pending)]):
                        raise Problem("corrupt gzip: trailing garbage after the compressed data")
            pending = next(stored, None)
    except inflate.error as error:
        raise Problem(f"corrupt gzip: {error}") from error
    if in_member:
        raise Problem("truncated gzip: the compressed stream ends before its end-of-stream marker")


def _read_ahead(chunks: Iterator[bytes], depth: int) -> Iterator[bytes]:
    """Run `chunks` in a thread (zlib and file reads release the GIL), `depth` items ahead."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                ready.put(chunk)
            ready.put(_END)
        except BaseException as error:  # handed to the consumer
            ready.put(error)

    thread = threading.Thread(target=produce, name="dump-reader", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        thread.join()
