"""Fixtures for the evaluation tests."""
import logging

import pytest
from mmengine.logging import MMLogger


class _ListHandler(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def logged_warnings():
    """Warning messages sent to mmengine's current logger during the test."""
    logger = MMLogger.get_current_instance()
    handler = _ListHandler()
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)
