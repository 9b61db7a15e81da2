"""Fixtures of the cluster tests (helpers live in cluster_helpers.py)."""

import pytest
from cluster_helpers import Runner


@pytest.fixture
def runner(tmp_path):
    return Runner(tmp_path)
