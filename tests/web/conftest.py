"""Fixtures of the API tests: a results store built from rows (``store_builder``) and TestClients on it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from store_builder import build_example_store

from hospmort.web import create_app
from hospmort.web.viewer import Viewer


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked-example store (read-only: tests that write use :func:`writable_store`)."""
    return build_example_store(tmp_path_factory.mktemp("web") / "example.duckdb")


@pytest.fixture()
def writable_store(example_store: Path, tmp_path: Path) -> Path:
    """A private copy of the example store, for tests that save peer groups or add publications."""
    target = tmp_path / "example.duckdb"
    shutil.copy(example_store, target)
    return target


@pytest.fixture(scope="session")
def client(example_store: Path) -> Iterator[TestClient]:
    """An anonymous viewer's client (every organisation's figures disclosed)."""
    with TestClient(create_app(example_store)) as test_client:
        yield test_client


@pytest.fixture()
def staff_client(example_store: Path) -> Callable[[str], TestClient]:
    """A client whose viewer is a member of one trust's staff (its own rows unsuppressed, issue 8's hook)."""

    def make(provider_code: str) -> TestClient:
        viewer = Viewer(provider_code)
        return TestClient(create_app(example_store, viewer_resolver=lambda _request: viewer))

    return make
