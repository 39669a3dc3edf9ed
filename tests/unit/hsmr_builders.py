"""A small random HES extract for the HSMR tests, and the stages that turn it into one HSMR publication.

:func:`random_episodes` draws one-episode spells of patients at three acute trusts (RAA, RBB, RCC) discharged in
every month of a span, with a few diagnoses, ages, admission methods and sources, deprivation, palliative care,
deaths in hospital and after discharge, readmissions, and (when asked) transfers between trusts. The risks
depend on age, diagnosis and palliative care, so that the models have something to find.

:func:`compute_publication` runs what ``hospmort run`` runs for one publication: provider spells, the SHMI (scope,
outcome, cohort, models), the CIPS and the HSMR.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
from hes_builders import load, spell, write_organisations

from hospmort.config import Month, Windows
from hospmort.hes import InputReport
from hospmort.hsmr.compute import HsmrComputation, HsmrInputs
from hospmort.hsmr.run import HsmrUnavailable, prepare_hsmr_inputs
from hospmort.pipeline import prepare_publication
from hospmort.shmi.compute import ShmiComputation, compute_shmi
from hospmort.spells import derive_provider_spells

TRUSTS = ("RAA", "RBB", "RCC")
#: (primary diagnosis, baseline log-odds of death in hospital)
DIAGNOSES = (("J189", -2.2), ("I219", -2.6), ("C349", -1.8), ("I639", -2.4), ("N390", -3.2), ("A419", -1.6))
LSOAS = ("E01000048", "E01000008", "E01000005", "E01000029", "E01000003", "E01000069", "E01000119",
         "E01000117", "E01000001", "E01000002", "")


@dataclass(frozen=True)
class RandomExtract:
    episodes: list[dict[str, str]]
    deaths: list[tuple[str, str]]


def _day(value: dt.date) -> str:
    return value.isoformat()


FIRST_MONTH = Month(2021, 1)
LAST_MONTH = Month(2024, 12)


def random_episodes(*, people: int = 2400, first: Month = FIRST_MONTH, last: Month = LAST_MONTH,
                    transfer_rate: float = 0.0, readmission_rate: float = 0.25, seed: int = 1,
                    skip_months: tuple[Month, ...] = ()) -> RandomExtract:
    """One-episode spells discharged from ``first`` to ``last`` (no discharge in ``skip_months``)."""
    rng = np.random.default_rng(seed)
    start = first.first_day
    days = (last.last_day - start).days - 12
    episodes: list[dict[str, str]] = []
    deaths: list[tuple[str, str]] = []
    for person in range(people):
        hesid = f"H{person:05d}"
        admissions = 1 + int(rng.random() < readmission_rate)
        admit = start + dt.timedelta(days=int(rng.integers(0, days)))
        age = int(rng.integers(18, 100))
        sex = "1" if rng.random() < 0.5 else "2"
        lsoa = LSOAS[int(rng.integers(0, len(LSOAS)))]
        for number in range(admissions):
            diagnosis, base = DIAGNOSES[int(rng.integers(0, len(DIAGNOSES)))]
            stay = int(rng.integers(0, 9))
            discharge = admit + dt.timedelta(days=stay)
            if Month.of(discharge) in skip_months or discharge > last.last_day:
                break
            trust = TRUSTS[int(rng.integers(0, len(TRUSTS)))]
            palliative = rng.random() < 0.06
            elective = rng.random() < 0.2
            logit = base + 0.045 * (age - 60) + (2.0 if palliative else 0.0) - (1.0 if elective else 0.0)
            dies = rng.random() < 1 / (1 + np.exp(-logit))
            transfer = (not dies) and rng.random() < transfer_rate
            fields = {
                "ADMIMETH": "11" if elective else str(rng.choice(["21", "2A", "31"], p=[0.76, 0.2, 0.04])),
                "ADMISORC": "19" if rng.random() < 0.85 else "54",
                "STARTAGE": str(age), "SEX": sex, "LSOA11": lsoa, "DIAG_4_01": diagnosis,
                "DIAG_4_02": "I500" if rng.random() < 0.2 else "",
                "TRETSPEF": "315" if palliative else "300",
                "DISMETH": "4" if dies else "1", "DISDEST": "79" if dies else ("51" if transfer else "19"),
            }
            episodes.append(spell(hesid=hesid, procode=trust, spell_number=f"S{number}", admidate=_day(admit),
                                  disdate=_day(discharge), **fields))
            if dies:
                deaths.append((hesid, _day(discharge)))
                break
            if transfer:
                other = TRUSTS[(TRUSTS.index(trust) + 1 + int(rng.integers(0, 2))) % len(TRUSTS)]
                second_discharge = discharge + dt.timedelta(days=int(rng.integers(1, 6)))
                if second_discharge <= last.last_day and Month.of(second_discharge) not in skip_months:
                    second_dies = rng.random() < 1 / (1 + np.exp(-(logit + 0.5)))
                    episodes.append(spell(
                        hesid=hesid, procode=other, spell_number=f"T{number}", admidate=_day(discharge),
                        disdate=_day(second_discharge), **{**fields, "ADMISORC": "51", "ADMIMETH": "81",
                                                          "DISMETH": "4" if second_dies else "1",
                                                          "DISDEST": "79" if second_dies else "19"}))
                    if second_dies:
                        deaths.append((hesid, _day(second_discharge)))
                        break
                    discharge = second_discharge
            if rng.random() < 0.05:  # died at home soon after discharge (a SHMI death, not an HSMR one)
                deaths.append((hesid, _day(discharge + dt.timedelta(days=int(rng.integers(1, 30))))))
                break
            admit = discharge + dt.timedelta(days=int(rng.integers(20, 300)))
    return RandomExtract(episodes, deaths)


@dataclass(frozen=True)
class Publication:
    con: duckdb.DuckDBPyConnection
    report: InputReport
    shmi: ShmiComputation
    inputs: HsmrInputs


def prepare(tmp_path: Path, extract: RandomExtract, period_end: Month, basket_file: Path | None = None
            ) -> Publication:
    """Load the extract and compute everything the HSMR of ``period_end`` needs (not the HSMR itself)."""
    organisations = write_organisations(tmp_path / "orgs.csv", acute=TRUSTS)
    con, report = load(tmp_path, extract.episodes, extract.deaths, organisations=organisations)
    spell_rows = derive_provider_spells(con)
    windows = Windows(period_end)
    prepare_publication(con, windows)
    shmi = compute_shmi(con, windows, report.organisations)
    inputs = prepare_hsmr_inputs(con, report.organisations, report.trust_codes, spell_rows, basket_file)
    assert not isinstance(inputs, HsmrUnavailable)
    return Publication(con, report, shmi, inputs)


def compute_publication(publication: Publication, period_end: Month) -> HsmrComputation:
    from hospmort.hsmr.compute import compute_hsmr_publication

    return compute_hsmr_publication(publication.con, Windows(period_end), publication.inputs, publication.shmi)
