"""Fixtures of the Camunda 7 conformance tests: ``deploy`` loads kept diagrams into a fresh engine."""

from __future__ import annotations

import pytest

from .harness import Deployment


@pytest.fixture
def deploy(tmp_path):
    """``deploy("category/File.bpmn20.xml", ...)`` -> a Deployment on its own SQLite store."""
    made: list[Deployment] = []

    def _deploy(*names: str) -> Deployment:
        deployment = Deployment(tmp_path / f"d{len(made)}", names)
        made.append(deployment)
        return deployment

    yield _deploy
    for deployment in made:
        deployment.close()
