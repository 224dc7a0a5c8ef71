"""Fixtures of the planning tests."""

from __future__ import annotations

import logging
import logging.config

import pytest

from planning.log_files import logging_config


@pytest.fixture
def log_dir(tmp_path):
    """The project's LOGGING, with its files in a directory of the test's own (the suite's
    own logging, tests/conftest.py, is restored after)."""
    previous = logging.getLogger().handlers[:]
    logging.config.dictConfig(logging_config(tmp_path))
    yield tmp_path
    for handler in logging.getLogger().handlers:
        handler.close()
    logging.getLogger().handlers[:] = previous
