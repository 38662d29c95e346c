"""The content as it is now: reloaded when a file changes, the last good version kept on error."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from tthc.catalogue.store import CatalogueError
from tthc.catalogue.store import signature as catalogue_signature
from tthc.content.model import ContentBase, ContentError, load_content, signature, with_catalogue_of

log = logging.getLogger(__name__)


class LiveContent:
    """The last good content, looked at again at most once per poll interval.

    The curated files and the catalogue are reloaded apart: an officer's edit of one procedure
    file does not reparse the 2,600 catalogue records, and a broken file in either keeps that
    part's last good version live."""

    def __init__(self, directory: Path | str, poll_seconds: float = 1.0) -> None:
        self.directory = Path(directory)
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._current: ContentBase | None = None
        self._checked_at = 0.0
        self._seen_signature = ""
        self._seen_catalogue = ""
        self.last_error: Exception | None = None

    def get(self) -> ContentBase:
        """Current content; looks at the files at most once per poll interval."""
        now = time.monotonic()
        if self._current is not None and now - self._checked_at < self.poll_seconds:
            return self._current
        with self._lock:
            self._checked_at = now
            sig, catalogue_sig = signature(self.directory), catalogue_signature(self.directory)
            if self._current is None or sig != self._seen_signature:
                self._seen_signature = sig
                self._reload_curated()
            if self._current is not None and catalogue_sig != self._seen_catalogue:
                self._seen_catalogue = catalogue_sig
                self._reload_catalogue()
            if self._current is None:
                raise self.last_error or ContentError(None)
            return self._current

    def _reload_curated(self) -> None:
        try:
            curated = load_content(self.directory, with_catalogue=False)
        except ContentError as exc:
            self.last_error = exc
            if self._current is None:
                log.error("content is invalid and no good version is loaded: %s", exc)
            else:
                log.error("content edit refused, keeping the last good version: %s", exc)
            return
        previous = self._current
        self._current = replace(
            curated,
            catalogue=previous.catalogue if previous else {},
            catalogue_signature=previous.catalogue_signature if previous else "",
            _derived={},
        )
        self.last_error = None
        log.info("content loaded: %d procedures", len(curated.procedures))

    def _reload_catalogue(self) -> None:
        assert self._current is not None
        try:
            updated = with_catalogue_of(self._current, self.directory)
        except (CatalogueError, OSError) as exc:
            self.last_error = exc
            log.error("catalogue edit refused, keeping the last good catalogue: %s", exc)
            return
        self._current = updated
        self.last_error = None
        log.info("catalogue loaded: %d procedures", len(updated.catalogue))


def write_atomically(path: Path, text: str) -> None:
    """Write a sibling temp file, then rename it over the target: the reload sees the old file or
    the new one, never half of one. The temp name ends in .tmp, so the reload does not look at it."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temp)
        else:
            os.chmod(temp, 0o644)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
