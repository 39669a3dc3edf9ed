"""Same seed, same bytes: every file the generator writes is a function of its settings alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hospmort.config import Month
from hospmort.synth import Scale, SynthSettings, generate


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


def test_the_same_seed_writes_identical_bytes(tiny_synth_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(SynthSettings(out=again, scale=Scale.TINY))
    first, second = file_hashes(tiny_synth_dir), file_hashes(again)
    assert len(first) > 60
    assert first == second


def test_another_seed_writes_other_data(tmp_path: Path) -> None:
    window = {"scale": Scale.TINY, "start": Month(2025, 1), "end": Month(2025, 3)}
    generate(SynthSettings(out=tmp_path / "a", seed=1, **window))  # type: ignore[arg-type]
    generate(SynthSettings(out=tmp_path / "b", seed=2, **window))  # type: ignore[arg-type]
    first, second = file_hashes(tmp_path / "a"), file_hashes(tmp_path / "b")
    assert first.keys() & second.keys()
    assert first["deaths.parquet"] != second["deaths.parquet"]
    assert first["organisations.csv"] != second["organisations.csv"]
    assert all(first[name] != second[name] for name in first if name.startswith("episodes/") and name in second)


def test_a_rerun_into_the_same_folder_replaces_the_earlier_parts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(SynthSettings(out=out, scale=Scale.TINY, start=Month(2024, 1), end=Month(2025, 12)))
    generate(SynthSettings(out=out, scale=Scale.TINY, start=Month(2025, 10), end=Month(2025, 12)))
    fresh = tmp_path / "fresh"
    generate(SynthSettings(out=fresh, scale=Scale.TINY, start=Month(2025, 10), end=Month(2025, 12)))
    assert file_hashes(out) == file_hashes(fresh)
