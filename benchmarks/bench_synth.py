"""Benchmark of ``hospmort synth``: episodes per second and peak memory, for ``regional`` and (optionally)
``national``.

Each scale runs in a fresh process (so that its peak resident memory is its own). As the project's benchmarks
do, the speed is also printed as a ratio to a baseline measured in the same process: writing the same number of
rows of random strings (37 text columns, as many as an episode has) to Parquet with pyarrow.

    .venv/bin/python benchmarks/bench_synth.py                       # regional, the default 60 months
    .venv/bin/python benchmarks/bench_synth.py --national --months 6 # and national, 6 discharge months
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hospmort.synth import Scale, SynthSettings, generate
from hospmort.synth.settings import DEFAULT_END

BASELINE_COLUMNS = 37
BASELINE_MAX_ROWS = 2_000_000


def _peak_rss_megabytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def baseline_rows_per_second(rows: int, folder: Path) -> float:
    """Rows per second of writing ``rows`` rows of 37 random 8-character text columns to Parquet."""
    rows = min(rows, BASELINE_MAX_ROWS)
    rng = np.random.default_rng(0)
    alphabet = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)
    began = time.perf_counter()
    columns = {}
    for column in range(BASELINE_COLUMNS):
        letters = alphabet[rng.integers(0, len(alphabet), (rows, 8))]
        columns[f"C{column:02d}"] = pa.array(letters.view("S8").ravel()).cast(pa.string())
    pq.write_table(pa.table(columns), folder / "baseline.parquet", compression="zstd")
    return rows / (time.perf_counter() - began)


def _run_scale(scale: str, months: int, queue: Any) -> None:
    with tempfile.TemporaryDirectory(prefix=f"bench-synth-{scale}-") as folder:
        out = Path(folder) / "data"
        end = DEFAULT_END
        began = time.perf_counter()
        summary = generate(SynthSettings(out=out, scale=Scale(scale), start=end.shift(-(months - 1)), end=end))
        seconds = time.perf_counter() - began
        peak = _peak_rss_megabytes()
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        baseline = baseline_rows_per_second(summary.episodes, Path(folder))
    queue.put({
        "scale": scale, "months": months, "episodes": summary.episodes, "in_scope_spells": summary.in_scope_spells,
        "deaths": summary.deaths_written, "seconds": seconds, "episodes_per_second": summary.episodes / seconds,
        "peak_rss_mb": peak, "output_mb": size, "baseline_rows_per_second": baseline,
        "ratio_to_baseline": (summary.episodes / seconds) / baseline,
    })


def measure(scale: str, months: int) -> dict[str, Any]:
    """Generate one scale in a fresh process and return its measures."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run_scale, args=(scale, months, queue))
    process.start()
    result: dict[str, Any] = queue.get()
    process.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, default=60, help="discharge months to generate (default 60)")
    parser.add_argument("--national", action="store_true", help="also run the national scale (long)")
    parser.add_argument("--skip-regional", action="store_true", help="do not run the regional scale")
    parser.add_argument("--json", type=Path, help="also write the measures to this JSON file")
    arguments = parser.parse_args(argv)
    scales = ([] if arguments.skip_regional else ["regional"]) + (["national"] if arguments.national else [])
    results = [measure(scale, arguments.months) for scale in scales]
    print(f"{'scale':<10}{'months':>7}{'episodes':>12}{'seconds':>9}{'episodes/s':>12}{'peak RSS MB':>13}"
          f"{'output MB':>11}{'baseline rows/s':>17}{'ratio':>7}")
    for r in results:
        print(f"{r['scale']:<10}{r['months']:>7}{r['episodes']:>12,}{r['seconds']:>9.1f}"
              f"{r['episodes_per_second']:>12,.0f}{r['peak_rss_mb']:>13,.0f}{r['output_mb']:>11,.0f}"
              f"{r['baseline_rows_per_second']:>17,.0f}{r['ratio_to_baseline']:>7.2f}")
    if arguments.json:
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
