"""`hospmort serve` serves the dashboard from a results store over HTTP (a real uvicorn on 127.0.0.1)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_prints_its_address_and_answers_pages_and_api(example_store: Path) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", "from hospmort.cli import main; main()", "serve", "--db",
                               str(example_store), "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/overview", timeout=10).json()["period_end"] == "2025-12"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in output


def test_serve_refuses_a_missing_store_with_one_message(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", "from hospmort.cli import main; main()", "serve", "--db",
                             str(tmp_path / "none.duckdb")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no results store at" in result.stderr
