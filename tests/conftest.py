"""Fixtures shared by the test modules."""

import pytest


@pytest.fixture(scope="module")
def torch():
    """PyTorch, for parity tests; they are skipped, with the reason shown, where it is absent."""
    return pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")
