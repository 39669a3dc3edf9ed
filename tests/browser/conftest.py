"""Fixtures of the browser tests: a store built by the real pipeline, a live server, Debian's Chromium.

The store is made once per session: ``hospmort synth --scale regional --start 2022-01 --end 2025-12`` and
``hospmort run --period-end 2025-12 --history 2 --publish`` (a few minutes). A developer may point
``HOSPMORT_BROWSER_STORE`` at a store built that way to skip the build (it is copied, never changed).
Chromium is Debian's (``scripts/run-tests.sh`` installs it); ``playwright install`` is never used.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn

from hospmort.config import EngineOptions, Month
from hospmort.store import open_store
from hospmort.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def pipeline_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results store written by the real pipeline from regional synthetic data (two monthly publications)."""
    target = tmp_path_factory.mktemp("browser") / "regional.duckdb"
    given = os.environ.get("HOSPMORT_BROWSER_STORE")
    if given:
        shutil.copy(given, target)
        with open_store(target):
            pass  # brings an older schema up to date
        return target
    from hospmort.pipeline import InputPaths, RunRequest, run_publications
    from hospmort.synth import Scale, SynthSettings, generate

    data = tmp_path_factory.mktemp("browser-synth") / "regional"
    generate(SynthSettings(out=data, scale=Scale.REGIONAL, start=Month(2022, 1), end=Month(2025, 12)))
    run_publications(RunRequest(inputs=InputPaths.from_data_dir(data), period_end=Month(2025, 12),
                                db=str(target), out=data.parent / "out", history=2, publish=True),
                     EngineOptions())
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server() -> Iterator[Callable[[Path], str]]:
    """Start the dashboard for a store on 127.0.0.1 in a thread; returns its base URL. Stopped at the end."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(store: Path) -> str:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the dashboard did not start within 20 s")
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/run-tests.sh installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium: object) -> Iterator[object]:
    """A fresh page at laptop size; console errors and page errors are collected in ``page.problems``."""
    context = chromium.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1366, "height": 900}, accept_downloads=True)
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    new_page.on("pageerror", lambda error: problems.append(str(error)))
    new_page.problems = problems
    yield new_page
    context.close()
