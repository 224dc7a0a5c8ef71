"""Where the server's errors are written: var/log/errors.log, rotated by size.

Every process of the server (gunicorn's workers, the job worker, manage.py commands) logs its
errors (ERROR and above, with tracebacks: a 500's comes from `django.request`) to the same file,
whoever started it and whether or not its stderr is kept. Rotation keeps it bounded:
ERROR_LOG_MAX_BYTES per file, ERROR_LOG_BACKUPS older files (errors.log.1 ...).
"""

from __future__ import annotations

import fcntl
import logging.handlers
import os
from pathlib import Path
from typing import Any

ERROR_LOG_NAME = "errors.log"
ERROR_LOG_MAX_BYTES = 10 * 1024 * 1024
ERROR_LOG_BACKUPS = 5


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler for one file written by several processes.

    The standard handler assumes it is alone: after another process rotated the file it
    would go on writing into the renamed backup, or rotate it a second time. This one reopens
    the file when its path names another file than the one it holds, and rotates under a lock
    file, only if no other process rotated it since it found the file full."""

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def shouldRollover(self, record: logging.LogRecord) -> bool:
        if self._on_disk() != self._held():
            self._reopen()  # another process rotated the file
        return bool(super().shouldRollover(record))

    def doRollover(self) -> None:
        decided_on = self._held()
        with open(f"{self.baseFilename}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self._on_disk() != decided_on:
                self._reopen()  # another process rotated it in the meantime
                return
            super().doRollover()

    def _held(self) -> tuple[int, int] | None:
        if self.stream is None:
            return None
        held = os.fstat(self.stream.fileno())
        return held.st_dev, held.st_ino

    def _on_disk(self) -> tuple[int, int] | None:
        try:
            found = os.stat(self.baseFilename)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def _reopen(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = self._open()


class DisallowedHostAsWarning(logging.Filter):
    """Django logs every request naming a host outside ALLOWED_HOSTS as an ERROR with a
    15-line traceback. They come from scanners and misdirected clients, not from a fault of
    the server: one WARNING line each (console, i.e. server.log) keeps them out of
    errors.log, where a scan would rotate the real errors away."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


def error_log_handler(log_dir: Path) -> dict[str, Any]:
    """The dictConfig entry of the shared error log in `log_dir`."""
    return {
        "class": "planning.log_files.SharedRotatingFileHandler",
        "level": "ERROR",
        "filename": str(log_dir / ERROR_LOG_NAME),
        "maxBytes": ERROR_LOG_MAX_BYTES,
        "backupCount": ERROR_LOG_BACKUPS,
        "encoding": "utf-8",
        "delay": True,  # created at the first error, not by every manage.py call
        "formatter": "timestamped",
    }


def logging_config(log_dir: Path) -> dict[str, Any]:
    """LOGGING: everything from INFO on the console (stderr), errors also in the file (bad
    Host headers as warnings, on the console only)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "timestamped": {
                "format": "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"
            }
        },
        "filters": {"disallowed_host": {"()": "planning.log_files.DisallowedHostAsWarning"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler"},
            "errors_file": error_log_handler(log_dir),
        },
        "root": {"handlers": ["console", "errors_file"], "level": "INFO"},
        # Procrastinate announces every task registration at INFO on each manage.py call; job
        # progress and outcomes are kept in planning.Job, so its warnings and errors suffice.
        # ezdxf tells each audit step at INFO ("creating ACAD_COLOR dictionary"): the CAD
        # report's notes say what was repaired, so only its warnings reach the log.
        "loggers": {
            "ezdxf": {"level": "WARNING"},
            "mapproxy": {"level": "WARNING"},
            "pyogrio": {"level": "WARNING"},
            "procrastinate": {"level": "WARNING"},
            "django.security.DisallowedHost": {"filters": ["disallowed_host"]},
        },
    }
