"""The planted truth: accumulated over the months, written to ``truth/``.

``expected_deaths.csv`` has one row per (trust, diagnosis group, discharge month) with in-scope SHMI spells:

* ``SPELLS``: in-scope spells as shmi.md §5 decides them (acute trust, ordinary or delivery-only admission, not a
  stillbirth, age, sex and discharge date known; every generated admission method is valid);
* ``TRUE_DEATHS``: ``DIED`` of shmi.md §6 over those spells (the last qualifying spell of each person);
* ``EXPECTED_NO_TRUST_EFFECT``: the sum of the spells' true risks under the published model with no trust effect
  (what a perfect case-mix model would expect), and ``EXPECTED_WITH_TRUST_EFFECT`` the same with the trust's
  planted odds ratio (what the deaths were drawn from).

Approximations: the diagnosis group and levels are those of the written data, as the pipeline derives them; the
attribution of deaths runs over all written months, so a window's first or last month can differ from a
pipeline run on that window alone in the rare person with a qualifying spell just outside it. A person's spells
never tie on both discharge and admission date (a transferred patient stays at least a night), so the order of
generation is the order of shmi.md §6.3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort import refdata
from hospmort.config import Month
from hospmort.synth.columns import ColumnTable
from hospmort.synth.context import GeneratorContext
from hospmort.synth.settings import SynthSettings, month_key
from hospmort.synth.writer import csv_text, json_text, write_text

Array = npt.NDArray[Any]
GROUPS = refdata.NUMBER_OF_GROUPS + 1

EXPECTED_DEATHS_FIELDS = ["PROCODE3", "DIAGNOSIS_GROUP", "DISCHARGE_MONTH", "SPELLS", "TRUE_DEATHS",
                          "TRUE_DEATHS_IN_HOSPITAL", "EXPECTED_NO_TRUST_EFFECT", "EXPECTED_WITH_TRUST_EFFECT"]
TRUST_EFFECT_FIELDS = ["org_code", "org_name", "effect_kind", "odds_ratio", "diagnosis_group", "change_month",
                       "palliative_rate_dying", "palliative_rate_surviving"]
TRUST_FIELDS = ["org_code", "org_name", "trust_type", "region_code", "sites", "annual_in_scope_spells_target",
                "age_factor", "maternity_factor", "elective_factor", "emergency_factor", "coding_depth",
                "tertiary", "mean_imd_decile"]


@dataclass
class TruthAccumulator:
    """Sums per (trust, group, month) and run-wide counts, added to month by month."""

    first_key: int
    months: int
    spells: Array
    deaths: Array
    deaths_in_hospital: Array
    expected_no_effect: Array
    expected_with_effect: Array
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def empty(cls, trusts: int, settings: SynthSettings) -> TruthAccumulator:
        shape = (trusts, GROUPS, settings.months)
        return cls(
            first_key=month_key(settings.start), months=settings.months,
            spells=np.zeros(shape, dtype=np.int64), deaths=np.zeros(shape, dtype=np.int64),
            deaths_in_hospital=np.zeros(shape, dtype=np.int64), expected_no_effect=np.zeros(shape),
            expected_with_effect=np.zeros(shape),
        )

    def add(self, truth: ColumnTable, episode_rows: int, duplicates: Array) -> None:
        if len(truth) == 0:
            self._count("episode_rows_before_duplicates", episode_rows)
            self._count("duplicate_rows", len(duplicates))
            return
        month = truth["month_key"] - self.first_key
        flat = (truth["trust"] * GROUPS + truth["group"]) * self.months + month
        size = self.spells.size
        self.spells += np.bincount(flat, minlength=size).reshape(self.spells.shape)
        self.deaths += np.bincount(flat, weights=truth["died"], minlength=size).astype(np.int64).reshape(
            self.spells.shape)
        self.deaths_in_hospital += np.bincount(flat, weights=truth["died_in_hospital"], minlength=size).astype(
            np.int64).reshape(self.spells.shape)
        self.expected_no_effect += np.bincount(flat, weights=truth["risk_without_effect"], minlength=size).reshape(
            self.spells.shape)
        self.expected_with_effect += np.bincount(flat, weights=truth["risk"], minlength=size).reshape(
            self.spells.shape)
        self._count("in_scope_spells", len(truth))
        self._count("in_scope_multi_episode_spells", int(truth["multi_episode"].sum()))
        self._count("in_scope_symptom_first_multi_episode_spells", int(truth["symptom_first"].sum()))
        self._count("in_scope_spells_transferred_out", int(truth["transfer_out"].sum()))
        self._count("episode_rows_before_duplicates", episode_rows)
        self._count("duplicate_rows", len(duplicates))

    def _count(self, name: str, value: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + int(value)

    @property
    def in_scope_spells(self) -> int:
        return int(self.spells.sum())

    @property
    def deaths_total(self) -> int:
        return int(self.deaths.sum())


def _rate(value: float) -> str:
    return format(value, ".6f")


def write_truth(folder: Path, context: GeneratorContext, truth: TruthAccumulator,
                settings_record: dict[str, Any]) -> None:
    """Write ``settings.json``, ``trust_effects.csv``, ``trusts.csv``, ``expected_deaths.csv``,
    ``counts.json`` and ``README.md`` into ``folder``."""
    trusts = context.organisations.trusts
    start = Month.parse(settings_record["start"])
    write_text(folder / "settings.json", json_text(settings_record))

    effect_rows = [{
        "org_code": t.code, "org_name": t.name, "effect_kind": t.effect.value, "odds_ratio": _rate(t.odds_ratio),
        "diagnosis_group": str(t.effect_group) if t.effect_group is not None else "",
        "change_month": str(t.change_month) if t.change_month is not None else "",
        "palliative_rate_dying": _rate(t.palliative_dying_rate),
        "palliative_rate_surviving": _rate(t.palliative_surviving_rate),
    } for t in trusts if t.trust_type.value == "acute"]
    write_text(folder / "trust_effects.csv", csv_text(TRUST_EFFECT_FIELDS, effect_rows))

    trust_rows = [{
        "org_code": t.code, "org_name": t.name, "trust_type": t.trust_type.value, "region_code": t.region_code,
        "sites": str(len(t.sites)), "annual_in_scope_spells_target": str(round(t.annual_spells)),
        "age_factor": _rate(t.age_factor), "maternity_factor": _rate(t.maternity_factor),
        "elective_factor": _rate(t.elective_factor), "emergency_factor": _rate(t.emergency_factor),
        "coding_depth": _rate(t.coding_depth), "tertiary": str(int(t.tertiary)),
        "mean_imd_decile": _rate(t.mean_imd_decile),
    } for t in trusts]
    write_text(folder / "trusts.csv", csv_text(TRUST_FIELDS, trust_rows))

    order = np.argsort([t.code for t in trusts], kind="stable")
    rows: list[dict[str, str]] = []
    for trust in order:
        groups, months = np.nonzero(truth.spells[trust])
        for group, month in zip(groups.tolist(), months.tolist(), strict=True):
            rows.append({
                "PROCODE3": trusts[trust].code, "DIAGNOSIS_GROUP": str(group),
                "DISCHARGE_MONTH": str(start.shift(month)),
                "SPELLS": str(int(truth.spells[trust, group, month])),
                "TRUE_DEATHS": str(int(truth.deaths[trust, group, month])),
                "TRUE_DEATHS_IN_HOSPITAL": str(int(truth.deaths_in_hospital[trust, group, month])),
                "EXPECTED_NO_TRUST_EFFECT": _rate(float(truth.expected_no_effect[trust, group, month])),
                "EXPECTED_WITH_TRUST_EFFECT": _rate(float(truth.expected_with_effect[trust, group, month])),
            })
    write_text(folder / "expected_deaths.csv", csv_text(EXPECTED_DEATHS_FIELDS, rows))
    counts = {**truth.counts, "true_deaths": truth.deaths_total,
              "true_deaths_in_hospital": int(truth.deaths_in_hospital.sum())}
    write_text(folder / "counts.json", json_text(counts))
    write_text(folder / "README.md", TRUTH_README)


TRUTH_README = """\
# Planted truth of this synthetic data set

Written by `hospmort synth`. The data are fictional: trust codes start with `Z`, names are invented.

- `settings.json`: scale, seed, discharge months (`start`, `end`), defect rate, generator version,
  `deaths_complete_to` (the date to which `deaths.parquet` is complete; deaths after it, up to
  `last_death_date`, are an incomplete tail), the YEAR_INDEX convention and the baseline risks of groups 143
  and 144.
- `trust_effects.csv`: every acute trust with its `effect_kind` (`null`, `higher`, `lower`, `single_group`,
  `rising`, `palliative_heavy`), the planted `odds_ratio`, the `diagnosis_group` of a single-group effect, the
  `change_month` from which a rising trust's odds ratio applies (by discharge month; 1 before), and the
  trust's palliative coding rates of dying and surviving spells.
- `trusts.csv`: every trust with its type, region, sites, target size and the case-mix and coding factors it
  was given.
- `expected_deaths.csv`: per (`PROCODE3`, `DIAGNOSIS_GROUP`, `DISCHARGE_MONTH`), the in-scope SHMI spells, the
  true deaths (`DIED` of shmi.md §6), those of them in hospital, and the sums of true risks without and with
  the trust effect.
- `counts.json`: run-wide counts (in-scope spells, multi-episode spells, symptom-first spells, transfers,
  episode rows, duplicate rows, true deaths).

True risk of a spell = logistic(published SHMI coefficients of its diagnosis group at its case-mix levels +
log(trust odds ratio)), with the group and levels the pipeline derives from the written data (shmi.md §7-§9),
YEAR_INDEX at level 1 (no secular trend) and coefficient 0 for levels a published group lacks. Summing
`EXPECTED_NO_TRUST_EFFECT` and `TRUE_DEATHS` over any 12 discharge months gives a trust's true O and E.
"""
