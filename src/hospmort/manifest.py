"""The run manifest: what a run was given and what it did, stored with its results and written beside them.

It records the configuration, the package version and git revision, a hash of every input file, the rows in
and out of every stage with the reason for each drop, the time of each stage and the model fit statistics.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hospmort import __version__

log = logging.getLogger(__name__)


def hash_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def hash_inputs(paths: Mapping[str, Path | None]) -> dict[str, dict[str, str]]:
    """Hashes of every file behind each named input (a file or every file of a folder), by relative path."""
    hashes: dict[str, dict[str, str]] = {}
    for name, path in paths.items():
        if path is None:
            continue
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        hashes[name] = {str(p.relative_to(path) if path.is_dir() else p.name): hash_file(p) for p in files}
    return hashes


def git_revision() -> str | None:
    """The git revision of the installed source tree, when it is a git checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False,
                                cwd=Path(__file__).resolve().parent, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


@dataclass
class Manifest:
    """Collects what a run does; :meth:`as_dict` is what is stored and written as ``manifest.json``."""

    command: str
    configuration: dict[str, Any]
    started_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str, **details: Any) -> Iterator[dict[str, Any]]:
        """Time a stage; the yielded dict collects its row counts (``rows_in``, ``rows_out``, drops...)."""
        record: dict[str, Any] = {"stage": name, **details}
        start = time.perf_counter()
        log.info("stage %s ...", name)
        try:
            yield record
        finally:
            record["seconds"] = round(time.perf_counter() - start, 3)
            self.stages.append(record)
            log.info("stage %s done in %.1f s", name, record["seconds"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "package_version": __version__,
            "git_revision": git_revision(),
            "started_at": self.started_at,
            "configuration": self.configuration,
            "inputs": self.inputs,
            "stages": self.stages,
            "counts": self.counts,
            "models": self.models,
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=False, default=str) + "\n"
