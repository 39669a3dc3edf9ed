"""Benchmark of the monitoring (VLAD, CUSUM, thresholds, alert preview) inside a publication run.

Runs ``hospmort run`` (one publication, or ``--history N``) on synthetic data and reads the stage timings of the
run manifest: the ratio printed is the time of the ``monitoring`` stages over the time of the rest of the run,
both measured in the same process on the same data (the issue bounds it at about a quarter).

    .venv/bin/python benchmarks/bench_monitoring.py                      # makes regional data in a temp folder
    .venv/bin/python benchmarks/bench_monitoring.py --data /tmp/regional --period-end 2025-12
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from hospmort.config import EngineOptions, Month
from hospmort.pipeline import InputPaths, RunRequest, run_publications
from hospmort.synth import Scale, SynthSettings, generate


def measure(data: Path, period_end: Month, history: int, folder: Path) -> dict[str, float]:
    """Wall time of the run, and the seconds of its monitoring stages, from its manifest."""
    request = RunRequest(inputs=InputPaths.from_data_dir(data), period_end=period_end, db=str(folder / "bench.duckdb"),
                         out=folder / "out", history=history)
    began = time.perf_counter()
    run_publications(request, EngineOptions())
    total = time.perf_counter() - began
    manifest = json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))
    monitoring = sum(stage["seconds"] for stage in manifest["stages"] if stage["stage"] == "monitoring")
    return {"run_seconds": total, "monitoring_seconds": monitoring,
            "ratio_monitoring_to_rest": monitoring / (total - monitoring)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="Folder written by hospmort synth (default: regional, made now).")
    parser.add_argument("--period-end", default="2025-12")
    parser.add_argument("--history", type=int, default=1)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as temporary:
        folder = Path(temporary)
        data = arguments.data
        if data is None:
            data = folder / "regional"
            generate(SynthSettings(out=data, scale=Scale.REGIONAL))
        result = measure(data, Month.parse(arguments.period_end), arguments.history, folder)
    print(json.dumps({key: round(value, 3) for key, value in result.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
