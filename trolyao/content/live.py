"""The content as it is now: reloaded when a file changes, the last good version kept on error."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from trolyao.content.model import ContentBase, ContentError, load_content, signature

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
