"""Synthetic national HES APC episodes and ONS deaths with a planted truth (``hospmort synth``).

``generate(settings)`` writes, following ``design/data-contract.md``:

* ``episodes/part-NNNNN.parquet``: one part per month of index admissions, every column text;
* ``deaths.parquet``: ``HESID``, ``DOD``, ``CAUSE_OF_DEATH``;
* ``organisations.csv``: fictional trusts and their sites (data contract §3);
* ``truth/``: the generator settings (with the date to which deaths are complete), the planted trust effects,
  the trusts' case-mix and coding habits, and the true expected deaths per (trust, group, discharge month).

Generation runs month by month with numpy (``Generator(PCG64)`` streams derived from the seed and the month), so
memory stays bounded at any scale and the same seed gives the same bytes.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.parquet as pq

from hospmort import __version__, refdata
from hospmort.schema import ORGANISATION_FIELDS
from hospmort.synth.chunk import MonthBatch, generate_month
from hospmort.synth.context import GeneratorContext, build_context
from hospmort.synth.defects import DefectKind, rows_to_duplicate
from hospmort.synth.organisations import build_organisations, organisation_rows
from hospmort.synth.risk import BASELINE_RISK, YEAR_INDEX_CONVENTION
from hospmort.synth.settings import (
    DEATHS_COMPLETE_DAYS,
    GENERATOR_VERSION,
    SCALES,
    Scale,
    SynthSettings,
    month_key,
)
from hospmort.synth.truth import TruthAccumulator, write_truth
from hospmort.synth.writer import (
    Dictionaries,
    build_dictionaries,
    csv_text,
    deaths_table,
    episodes_table,
    open_deaths_writer,
    write_parquet,
    write_text,
)

__all__ = ["SCALES", "Scale", "SynthSettings", "SynthSummary", "generate"]

log = logging.getLogger(__name__)
Array = npt.NDArray[Any]

EPISODES_DIR = "episodes"
DEATHS_FILE = "deaths.parquet"
ORGANISATIONS_FILE = "organisations.csv"
TRUTH_DIR = "truth"
#: Random streams: organisations, then one per month of index admissions.
_ORGANISATION_STREAM = 1
_MONTH_STREAM = 2


@dataclass(frozen=True)
class SynthSummary:
    """What a run wrote."""

    out: Path
    parts: int
    episodes: int
    spells: int
    in_scope_spells: int
    shmi_deaths: int
    deaths_written: int
    acute_trusts: int
    seconds: float


def _stream(seed: int, *keys: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *keys])))


def _prepare_output(out: Path) -> None:
    """Create the output folders and remove the files an earlier run of the generator left there."""
    (out / EPISODES_DIR).mkdir(parents=True, exist_ok=True)
    (out / TRUTH_DIR).mkdir(exist_ok=True)
    for stale in (out / EPISODES_DIR).glob("part-*.parquet"):
        stale.unlink()


def generate(settings: SynthSettings) -> SynthSummary:
    """Generate the synthetic data set of ``settings`` into ``settings.out``."""
    began = time.perf_counter()
    out = settings.out
    _prepare_output(out)
    organisations = build_organisations(settings, _stream(settings.seed, _ORGANISATION_STREAM))
    context = build_context(settings, organisations)
    dictionaries = build_dictionaries(context)
    truth = TruthAccumulator.empty(len(organisations.trusts), settings)
    log.info("synth: %s scale, %d acute trusts, discharge months %s to %s, seed %d", settings.scale.value,
             organisations.acute_count, settings.start, settings.end, settings.seed)

    parts = episodes = spells = deaths_written = 0
    deaths_writer = open_deaths_writer(out / DEATHS_FILE)
    try:
        with ThreadPoolExecutor(max_workers=1) as writer_thread:
            pending: Future[tuple[int, int]] | None = None
            month = settings.first_generated_month
            while month <= settings.end:
                rng = _stream(settings.seed, _MONTH_STREAM, month_key(month))
                for batch in generate_month(context, month, rng):
                    duplicates = rows_to_duplicate(len(batch.episodes), settings.defect_rate, rng)
                    truth.add(batch.truth, len(batch.episodes), duplicates)
                    part = None
                    if len(batch.episodes):
                        part = out / EPISODES_DIR / f"part-{parts:05d}.parquet"
                        parts += 1
                        spells += len(batch.spells)
                    if pending is not None:
                        written_episodes, written_deaths = pending.result()
                        episodes += written_episodes
                        deaths_written += written_deaths
                    pending = writer_thread.submit(
                        _write_batch, context, batch, dictionaries, duplicates, part, deaths_writer)
                month = month.shift(1)
            if pending is not None:
                written_episodes, written_deaths = pending.result()
                episodes += written_episodes
                deaths_written += written_deaths
    finally:
        deaths_writer.close()

    write_text(out / ORGANISATIONS_FILE, csv_text(list(ORGANISATION_FIELDS), organisation_rows(organisations)))
    write_truth(out / TRUTH_DIR, context, truth, _settings_record(settings, context))
    summary = SynthSummary(
        out=out, parts=parts, episodes=episodes, spells=spells, in_scope_spells=truth.in_scope_spells,
        shmi_deaths=truth.deaths_total, deaths_written=deaths_written, acute_trusts=organisations.acute_count,
        seconds=time.perf_counter() - began,
    )
    log.info("synth: wrote %d episodes in %d parts, %d deaths, to %s (%.1f s)", episodes, parts,
             deaths_written, out, summary.seconds)
    return summary


def _write_batch(context: GeneratorContext, batch: MonthBatch, dictionaries: Dictionaries, duplicates: Array,
                 part: Path | None, deaths_writer: pq.ParquetWriter) -> tuple[int, int]:
    """Write one batch's episodes part and append its deaths (run in the writer thread, one batch at a time)."""
    written = 0
    if part is not None:
        table = episodes_table(context, batch, dictionaries, duplicates)
        write_parquet(table, part)
        written = table.num_rows
    deaths = deaths_table(context, batch, dictionaries)
    deaths_writer.write_table(deaths)
    log.debug("synth: month %s batch %d: %d episode rows, %d deaths", batch.month, batch.number, written,
              deaths.num_rows)
    return written, deaths.num_rows


def _settings_record(settings: SynthSettings, context: GeneratorContext) -> dict[str, Any]:
    return {
        "scale": settings.scale.value,
        "seed": settings.seed,
        "start": str(settings.start),
        "end": str(settings.end),
        "defect_rate": settings.defect_rate,
        "defect_kinds": [kind.value for kind in DefectKind],
        "generator_version": GENERATOR_VERSION,
        "hospmort_version": __version__,
        "deaths_complete_to": settings.deaths_complete_to,
        "deaths_complete_days_after_end": DEATHS_COMPLETE_DAYS,
        "last_death_date": settings.last_death_date,
        "year_index_convention": YEAR_INDEX_CONVENTION,
        "baseline_risk": {str(group): risk for group, risk in BASELINE_RISK.items()},
        "true_model": "published SHMI model statistics April 2022 - March 2023 "
                      "(refdata published_model_coefficients)",
        "rising_change_month": str(settings.rising_change_month),
        "first_generated_month": str(settings.first_generated_month),
        "acute_trusts": context.organisations.acute_count,
        "regions": list(SCALES[settings.scale].regions),
        "region_names": {code: refdata.REGION_NAMES[code] for code in SCALES[settings.scale].regions},
    }
