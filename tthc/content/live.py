"""The content as it is now: reloaded when a file changes, the last good version kept on error."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from tthc.content.model import ContentBase, ContentError, load_content, signature

log = logging.getLogger(__name__)


class LiveContent:
    def __init__(self, directory: Path | str, poll_seconds: float = 1.0) -> None:
        self.directory = Path(directory)
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._current: ContentBase | None = None
        self._checked_at = 0.0
        self._seen_signature = ""
        self.last_error: ContentError | None = None

    def get(self) -> ContentBase:
        """Current content; looks at the files at most once per poll interval."""
        now = time.monotonic()
        if self._current is not None and now - self._checked_at < self.poll_seconds:
            return self._current
        with self._lock:
            self._checked_at = now
            sig = signature(self.directory)
            if self._current is None or sig != self._seen_signature:
                self._seen_signature = sig
                self._reload()
            if self._current is None:
                raise self.last_error or ContentError(None)
            return self._current

    def _reload(self) -> None:
        try:
            self._current = load_content(self.directory)
            self.last_error = None
            log.info("content loaded: %d procedures", len(self._current.procedures))
        except ContentError as exc:
            self.last_error = exc
            if self._current is None:
                log.error("content is invalid and no good version is loaded: %s", exc)
            else:
                log.error("content edit refused, keeping the last good version: %s", exc)


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
