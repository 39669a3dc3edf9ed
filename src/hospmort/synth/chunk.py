"""One month of generation: the index admissions of a month and everything that follows from them.

Spells are kept when their discharge date falls in ``--start`` .. ``--end``; spells still in hospital at the end
of ``--end`` are written as unfinished (finished episodes so far, then one episode with ``EPISTAT`` 1 or 9 and no
end date), as a real extract cut at that date would show them. Spells discharged before ``--start`` (the warm-up
months) are not written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort.config import Month
from hospmort.synth.activity import (
    add_follow_up_legs,
    day_number,
    draw_episodes,
    draw_index_spells,
    draw_regular_attendances,
    draw_secondary_diagnoses,
    month_key_of_days,
)
from hospmort.synth.columns import UNKNOWN_AGE, ColumnTable
from hospmort.synth.context import GeneratorContext
from hospmort.synth.defects import (
    EMPTY_AGE,
    plant_episode_defects,
    plant_spell_defects,
)
from hospmort.synth.outcomes import (
    NO_DEATH,
    attribute_deaths,
    code_palliative_care,
    common_causes_of_death,
    derive_levels,
    draw_deaths_without_spells,
    draw_later_deaths,
    draw_outcomes,
    first_death_only,
    is_known_sex,
    true_risks,
)
from hospmort.synth.settings import month_key

Array = npt.NDArray[Any]
DEATH_WINDOW_DAYS = 30
#: Index admissions generated together (with their readmissions, transfers, episodes and deaths).
BATCH_INDEX_SPELLS = 300_000
#: Spells (and episodes) of one batch are numbered below this in keys.
SPELLS_PER_BATCH_LIMIT = 1_000_000


@dataclass(frozen=True)
class MonthBatch:
    """What one batch of a month writes: spells and episodes (rows to write), deaths, and truth contributions."""

    month: Month
    number: int
    spells: ColumnTable
    episodes: ColumnTable
    secondary_codes: Array
    death_person: Array
    death_day: Array
    death_cause: Array
    truth: ColumnTable


def generate_month(ctx: GeneratorContext, month: Month, rng: np.random.Generator) -> Iterator[MonthBatch]:
    """The batches of index month ``month``: its index admissions in slices of ``BATCH_INDEX_SPELLS`` (so that
    memory stays bounded at national scale), the regular attenders with the first slice."""
    index = draw_index_spells(ctx, month, rng)
    regular = draw_regular_attendances(ctx, month, rng)
    slices = max(1, -(-len(index) // BATCH_INDEX_SPELLS))
    for number in range(slices):
        rows = np.arange(number * BATCH_INDEX_SPELLS, min(len(index), (number + 1) * BATCH_INDEX_SPELLS))
        yield generate_batch(ctx, month, number, index.take(rows), regular if number == 0 else None, rng)


def generate_batch(ctx: GeneratorContext, month: Month, number: int, index: ColumnTable,
                   regular: ColumnTable | None, rng: np.random.Generator) -> MonthBatch:
    """Generate the people of some of a month's index admissions, and their deaths and truth."""
    settings = ctx.settings
    start_day = day_number(settings.start.first_day)
    end_day = day_number(settings.end.last_day)

    spells = add_follow_up_legs(ctx, index, rng)
    if regular is not None and len(regular):
        spells = ColumnTable.concat([spells, regular])
    spells = spells.take(spells["admit"] <= end_day)
    if len(spells) >= SPELLS_PER_BATCH_LIMIT:
        raise ValueError("too many spells in one batch for the spell numbering")
    secondary_codes, cumulative, secondary_count = draw_secondary_diagnoses(ctx, spells, rng)
    spells, episodes = draw_episodes(ctx, spells, secondary_count, rng)
    spells = plant_spell_defects(spells, settings.defect_rate, rng)
    episodes = plant_episode_defects(episodes, ctx.codes, settings.defect_rate, rng)

    levels = derive_levels(ctx, spells, episodes, cumulative)
    risk_without_effect, risk = true_risks(ctx, spells, levels)
    draw_risk = risk * ctx.profile_risk_factor[spells["kind"]]
    died = rng.random(len(spells)) < draw_risk
    kept = first_death_only(spells["person"], died)

    spells = spells.take(kept).with_columns(
        group_pipeline=levels.group[kept], risk_without_effect=risk_without_effect[kept], risk=risk[kept],
        diagnosis_offset=(levels.diagnosis_episode - spells["first_episode"])[kept],
    )
    secondary_codes = secondary_codes[kept]
    died = died[kept]
    episode_kept = kept[episodes["spell"]]
    episodes = _reindex(episodes.take(episode_kept), kept)
    spells = spells.with_columns(first_episode=_first_episodes(spells["n_episodes"]))
    outcomes = draw_outcomes(ctx, spells, died, rng)
    episodes = code_palliative_care(ctx, spells, episodes, died, rng)

    late_person, late_day = draw_later_deaths(ctx, spells, outcomes.date_of_death, rng)
    dying = outcomes.date_of_death != NO_DEATH
    spell_death_person = spells["person"][dying]
    spell_death_day = outcomes.date_of_death[dying]
    spell_death_cause = spells["code"][dying]
    lone_person, lone_day = draw_deaths_without_spells(
        day_number(month.first_day), month.last_day.day, month_key(month), number, int(dying.sum()), rng)

    discharge = spells["admit"] + spells["los"]
    written_whole = (discharge >= start_day) & (discharge <= end_day)
    unfinished = discharge > end_day
    keep = written_whole | unfinished
    person_death_day = _death_day_by_person(spells["person"], spell_death_person, spell_death_day,
                                            late_person, late_day)

    written_age = spells["startage_written"]
    in_scope = (
        written_whole
        & ctx.organisations.is_acute[spells["trust"]]
        & ctx.profile_in_scope[spells["kind"]]
        & is_known_sex(spells["sex_written"])
        & (written_age != UNKNOWN_AGE) & (written_age != EMPTY_AGE)
        & (spells["disdate_missing"] == 0)
    )
    gap = person_death_day - discharge
    qualifying = outcomes.in_hospital | ((person_death_day != NO_DEATH) & (gap >= 0) & (gap <= DEATH_WINDOW_DAYS))
    died_shmi = attribute_deaths(spells["person"], in_scope, qualifying)

    truth = ColumnTable({
        "trust": spells["trust"][in_scope],
        "group": spells["group_pipeline"][in_scope],
        "month_key": month_key_of_days(discharge[in_scope]),
        "died": died_shmi[in_scope],
        "died_in_hospital": (died_shmi & outcomes.in_hospital)[in_scope],
        "risk_without_effect": spells["risk_without_effect"][in_scope],
        "risk": spells["risk"][in_scope],
        "multi_episode": spells["n_episodes"][in_scope] >= 2,
        "symptom_first": (ctx.codes.starts_with_r[episodes["primary"][spells["first_episode"]]]
                          & (spells["n_episodes"] >= 2))[in_scope],
        "transfer_out": (spells["transfer_out"])[in_scope],
    })

    spells = spells.with_columns(
        discharge_method=outcomes.discharge_method, discharge_destination=outcomes.discharge_destination,
        unfinished=unfinished, in_scope=in_scope,
    )
    episode_of_written = keep[episodes["spell"]] & (
        written_whole[episodes["spell"]] | (episodes["start"] <= end_day))
    episodes = episodes.with_columns(in_progress=unfinished[episodes["spell"]] & (episodes["end"] > end_day))
    episodes = _reindex(episodes.take(episode_of_written), keep)
    spells = spells.take(keep)
    secondary_codes = secondary_codes[keep]

    death_person = np.concatenate([spell_death_person, late_person, lone_person])
    death_day = np.concatenate([spell_death_day, late_day, lone_day])
    death_cause = np.concatenate([
        spell_death_cause, common_causes_of_death(ctx, len(late_person) + len(lone_person), rng)])
    last_day = day_number(settings.last_death_date)
    complete_day = day_number(settings.deaths_complete_to)
    tail = (death_day - complete_day) / max(1, last_day - complete_day)
    written_death = (death_day <= last_day) & ((death_day <= complete_day) | (rng.random(len(death_day)) > tail))
    return MonthBatch(
        month=month, number=number, spells=spells, episodes=episodes, secondary_codes=secondary_codes,
        death_person=death_person[written_death], death_day=death_day[written_death],
        death_cause=death_cause[written_death], truth=truth,
    )


def _first_episodes(n_episodes: Array) -> Array:
    starts = np.zeros(len(n_episodes), dtype=np.int64)
    if len(n_episodes) > 1:
        np.cumsum(n_episodes[:-1], out=starts[1:])
    return starts


def _reindex(episodes: ColumnTable, kept_spells: Array) -> ColumnTable:
    """Point the kept episodes at the kept spells' new row numbers."""
    new_number = np.cumsum(kept_spells) - 1
    return episodes.with_columns(spell=new_number[episodes["spell"]])


def _death_day_by_person(person: Array, *pairs: Array) -> Array:
    """The date of death (or ``NO_DEATH``) of each spell's person, from (person, day) arrays of deaths."""
    people = np.concatenate(pairs[0::2]) if pairs else np.zeros(0, dtype=np.int64)
    days = np.concatenate(pairs[1::2]) if pairs else np.zeros(0, dtype=np.int64)
    result = np.full(len(person), NO_DEATH, dtype=np.int64)
    if len(people) == 0:
        return result
    order = np.argsort(people, kind="stable")
    people, days = people[order], days[order]
    position = np.searchsorted(people, person)
    found = (position < len(people)) & (people[np.minimum(position, len(people) - 1)] == person)
    result[found] = days[position[found]]
    return result
