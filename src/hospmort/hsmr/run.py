"""The HSMR inside a publication run (hsmr.md §2): computed beside the SHMI, never blocking it.

:func:`prepare_hsmr_inputs` runs once per run (CIPS do not depend on the period); :func:`run_hsmr_publication`
once per publication, after the SHMI computation: it computes the HSMR, writes its files (and, with
``--extract``, its record-level extract) into the run's staging folders, and returns the tables to store. Any
failure of the HSMR becomes the quality-check finding ``HSMR_NOT_COMPUTED`` (severity WARNING, ``VALUE``
empty) with the reason in the log and the manifest; the publication then carries no HSMR file, table or
comparison, and the SHMI publication is stored as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from hospmort.config import Windows
from hospmort.errors import ConfigError, HospmortError
from hospmort.hes.organisations import Organisation
from hospmort.hes.quality import DataQualityRow
from hospmort.hsmr.compute import HsmrComputation, HsmrInputs, compute_hsmr_publication
from hospmort.hsmr.extract import write_hsmr_extract
from hospmort.hsmr.files import write_hsmr_files
from hospmort.hsmr.windows import months_with_provider_spells
from hospmort.shmi.compute import ShmiComputation
from hospmort.shmi.quality import Check, Finding, Severity
from hospmort.spells import derive_continuous_inpatient_spells
from hospmort.store.tables import Indicator

log = logging.getLogger(__name__)

DEFAULT_INDICATORS = "shmi,hsmr"


def parse_indicators(text: str) -> tuple[Indicator, ...]:
    """``--indicators``: a comma-separated list of ``shmi`` and ``hsmr``; the SHMI is always computed (the HSMR
    comparison needs it), so the list must name it."""
    names = [part.strip().upper() for part in text.split(",") if part.strip()]
    chosen: list[Indicator] = []
    for name in names:
        try:
            chosen.append(Indicator(name))
        except ValueError:
            raise ConfigError(f"--indicators {text!r}: unknown indicator {name.lower()!r} "
                              f"(choose from {', '.join(i.value.lower() for i in Indicator)})") from None
    if Indicator.SHMI not in chosen:
        raise ConfigError(f"--indicators {text!r}: the run always computes the SHMI; give shmi or shmi,hsmr")
    return tuple(indicator for indicator in Indicator if indicator in chosen)


@dataclass(frozen=True)
class HsmrUnavailable:
    """Why no publication of the run can have an HSMR (the CIPS could not be built)."""

    reason: str


def _reason(error: BaseException) -> str:
    """The reason recorded in the manifest: a hospmort error's own message (they never hold patient-level
    values); for anything else only its type, the message going to the log."""
    if isinstance(error, HospmortError):
        return str(error)
    return f"unexpected {type(error).__name__} (see the log)"


def prepare_hsmr_inputs(con: duckdb.DuckDBPyConnection, organisations: Sequence[Organisation],
                        trust_codes: Sequence[str], spell_rows: Sequence[DataQualityRow],
                        basket_file: Path | None) -> HsmrInputs | HsmrUnavailable:
    """Build the CIPS of the run (hsmr.md §3, :func:`hospmort.spells.derive_continuous_inpatient_spells`) and
    collect what every publication's HSMR needs; a failure makes the HSMR unavailable, never the run fail."""
    try:
        cips_rows = derive_continuous_inpatient_spells(con)
        present = months_with_provider_spells(con)
    except Exception as error:  # hsmr.md §2: an HSMR failure never blocks the SHMI
        log.warning("HSMR not computed: continuous inpatient spells could not be built: %s", error, exc_info=True)
        return HsmrUnavailable(_reason(error))
    return HsmrInputs(organisations=tuple(organisations), trust_codes=tuple(trust_codes),
                      spell_rows=tuple(spell_rows), cips_rows=cips_rows, months_present=present,
                      basket_file=basket_file)


@dataclass(frozen=True)
class HsmrOutcome:
    """One publication's HSMR: the computation and files, or the reason it was not computed."""

    computation: HsmrComputation | None
    files: tuple[Path, ...] = ()
    extract_files: tuple[Path, ...] = ()
    reason: str | None = None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def computed(self) -> bool:
        return self.computation is not None

    @property
    def findings(self) -> list[Finding]:
        """``HSMR_NOT_COMPUTED`` (WARNING, no value) when the HSMR failed (hsmr.md §2)."""
        return [] if self.computed else [Finding(Check.HSMR_NOT_COMPUTED, Severity.WARNING)]

    @property
    def manifest(self) -> dict[str, Any]:
        if self.computation is None:
            return {"computed": False, "reason": self.reason}
        return {"computed": True, **self.computation.manifest}


def run_hsmr_publication(con: duckdb.DuckDBPyConnection, windows: Windows, inputs: HsmrInputs | HsmrUnavailable,
                         shmi: ShmiComputation, staging: Path, extract_staging: Path | None) -> HsmrOutcome:
    """Compute one publication's HSMR and write its files into ``staging`` (and its extract into
    ``extract_staging``); on any failure remove what it wrote and report ``HSMR_NOT_COMPUTED`` (hsmr.md §2)."""
    if isinstance(inputs, HsmrUnavailable):
        return HsmrOutcome(None, reason=inputs.reason)
    files: list[Path] = []
    extract_files: list[Path] = []
    try:
        computation = compute_hsmr_publication(con, windows, inputs, shmi)
        files += write_hsmr_files(staging, windows.time_period, computation.tables)
        if extract_staging is not None:
            extract_files += write_hsmr_extract(con, extract_staging, windows.time_period,
                                               computation.main_basket.categories)
    except Exception as error:  # hsmr.md §2: "any other error of this page" never blocks the SHMI
        _remove_hsmr_files(windows.time_period, staging, extract_staging)
        if isinstance(error, HospmortError):
            log.warning("HSMR %s not computed: %s", windows.time_period, error)
        else:
            log.error("HSMR %s not computed: unexpected error", windows.time_period, exc_info=True)
        return HsmrOutcome(None, reason=_reason(error))
    return HsmrOutcome(computation, tuple(files), tuple(extract_files), tables=computation.tables)


def _remove_hsmr_files(time_period: str, *folders: Path | None) -> None:
    """Remove every HSMR file of ``time_period`` written so far (files, internal file, extract)."""
    for folder in folders:
        if folder is None or not folder.exists():
            continue
        for path in folder.rglob(f"HSMR_*_{time_period}.csv"):
            path.unlink(missing_ok=True)
