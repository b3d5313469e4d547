"""Fixtures shared by the tests."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """Small networks run fastest on one thread, which also leaves the other core free."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
