"""Benchmark of the HSMR of one publication against the SHMI of the same publication, in one process.

Generates synthetic data (``hospmort synth``, default scale ``tiny``; or reuses ``--data DIR``), loads it and
builds provider spells, then times:

* the baseline: the SHMI of the publication (scope, outcome, cohort, 144 models, indicators);
* the CIPS of the run (``derive_continuous_inpatient_spells``, once per run);
* the HSMR of the publication (cohort, basket, models, sums, comparison);

and prints each as seconds (wall and process CPU) and as a ratio to the baseline.

Run: ``.venv/bin/python -m benchmarks.bench_hsmr [--scale tiny|regional] [--data DIR] [--memory-limit 4GB]``.
Measured on the regional data of 48 months (25 trusts, 7.6 M episodes, ``--data``): the CIPS 0.80 and the HSMR
0.82 of the SHMI publication's CPU time (SHMI 75 s); on ``tiny`` data the fixed costs dominate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from hospmort.config import EngineOptions, Month, Windows
from hospmort.engine import connect_duckdb
from hospmort.hes import load_inputs
from hospmort.hsmr.compute import compute_hsmr_publication
from hospmort.hsmr.run import HsmrUnavailable, prepare_hsmr_inputs
from hospmort.pipeline import InputPaths, prepare_publication
from hospmort.shmi.compute import compute_shmi
from hospmort.spells import derive_provider_spells
from hospmort.synth import Scale, SynthSettings, generate

T = TypeVar("T")
PERIOD_END = Month(2025, 12)


def timed(label: str, action: Callable[[], T], baseline: tuple[float, float] | None = None
          ) -> tuple[T, tuple[float, float]]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = action()
    spent = (time.perf_counter() - wall, time.process_time() - cpu)
    ratio = ("" if baseline is None
             else f"  ratio to SHMI: wall {spent[0] / baseline[0]:.2f}, cpu {spent[1] / baseline[1]:.2f}")
    print(f"{label:32s} wall {spent[0]:8.1f} s  cpu {spent[1]:8.1f} s{ratio}", flush=True)
    return result, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="tiny", choices=[s.value for s in Scale if s is not Scale.NATIONAL])
    parser.add_argument("--data", type=Path, default=None, help="reuse a folder written by hospmort synth")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        data = args.data
        if data is None:
            data = Path(directory) / "data"
            generate(SynthSettings(out=data, scale=Scale(args.scale), start=PERIOD_END.shift(-47), end=PERIOD_END))
        paths = InputPaths.from_data_dir(data)
        con = connect_duckdb(EngineOptions(memory_limit=args.memory_limit, threads=args.threads))
        report = load_inputs(con, paths.episodes, paths.deaths, paths.organisations, {})
        spell_rows = derive_provider_spells(con)
        windows = Windows(PERIOD_END)

        def shmi() -> object:
            prepare_publication(con, windows)
            return compute_shmi(con, windows, report.organisations)

        computation, baseline = timed("SHMI publication (baseline)", shmi)
        inputs, _ = timed("CIPS of the run", lambda: prepare_hsmr_inputs(
            con, report.organisations, report.trust_codes, spell_rows, None), baseline)
        assert not isinstance(inputs, HsmrUnavailable), inputs
        timed("HSMR publication", lambda: compute_hsmr_publication(
            con, windows, inputs, computation), baseline)  # type: ignore[arg-type]
        con.close()


if __name__ == "__main__":
    main()
