"""Turn generated arrays into the files of the data contract: every column a string (dates ``YYYY-MM-DD``,
missing values null), written with pyarrow so that the same seed gives the same bytes.

Coded columns are built as Arrow dictionary arrays over fixed dictionaries and written without the Arrow schema
(``store_schema=False``), so Parquet holds plain UTF-8 columns that any reader sees as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hospmort import schema
from hospmort.synth.activity import day_number
from hospmort.synth.chunk import MonthBatch
from hospmort.synth.columns import (
    ADMIMETH_CODES,
    ADMISORC_CODES,
    CLASSPAT_CODES,
    DISDEST_CODES,
    DISMETH_CODES,
    EPIORDER_TEXT,
    EPISTAT_CODES,
    ETHNOS_CODES,
    NON_ENGLISH_LSOAS,
    SEX_CODES,
    SPECIALTY_CODES,
    SPECIALTY_INDEX,
    STARTAGE_TEXT,
    UNKNOWN_AGE,
    startage_index,
)
from hospmort.synth.comorbidity import SECONDARY_POSITIONS
from hospmort.synth.context import GeneratorContext
from hospmort.synth.defects import DISDATE_NULL_DATE, EMPTY_AGE
from hospmort.synth.settings import month_key

Array = npt.NDArray[Any]

PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "compression_level": 1, "store_schema": False,
                                   "write_statistics": True}
_KEY_PERMUTATION = 7_654_321_039
_PERSON_PERMUTATION = 9_999_991
_SPELL_PERMUTATION = 8_888_897
#: Episode numbers of batch b of a month start at b * 10**7 (a batch has fewer episodes).
_BATCH_KEY_STRIDE = 10**7
#: Main specialty of the consultant for treatment specialties that are not main specialties.
_MAIN_SPECIALTY = {"180": "180", "314": "430", "328": "300", "422": "420", "424": "420", "171": "171"}


@dataclass(frozen=True)
class Dictionaries:
    """The Arrow dictionaries the indices of the generator point into."""

    dates: pa.Array
    first_day: int
    codes: pa.Array
    trusts: pa.Array
    sites: pa.Array
    lsoas: pa.Array
    startage: pa.Array
    specialties: pa.Array
    main_specialty: Array


def build_dictionaries(ctx: GeneratorContext) -> Dictionaries:
    settings = ctx.settings
    first = day_number(settings.first_generated_month.first_day)
    last = day_number(settings.last_death_date) + 2
    days = np.arange(first, last + 1).astype("datetime64[D]")
    dates = [schema.HES_NULL_DATE, *np.datetime_as_string(days, unit="D").tolist()]
    main = np.array([SPECIALTY_INDEX[_MAIN_SPECIALTY.get(code, code)] for code in SPECIALTY_CODES])
    return Dictionaries(
        dates=pa.array(dates, pa.string()),
        first_day=first - 1,
        codes=pa.array(list(ctx.codes.codes), pa.string()),
        trusts=pa.array([t.code for t in ctx.organisations.trusts], pa.string()),
        sites=pa.array(list(ctx.organisations.site_codes), pa.string()),
        lsoas=pa.array([*ctx.organisations.lsoa_codes, *NON_ENGLISH_LSOAS], pa.string()),
        startage=pa.array(list(STARTAGE_TEXT), pa.string()),
        specialties=pa.array(list(SPECIALTY_CODES), pa.string()),
        main_specialty=main,
    )


def _coded(indices: Array, dictionary: pa.Array | tuple[str, ...], missing: Array | None = None
           ) -> pa.DictionaryArray:
    values = dictionary if isinstance(dictionary, pa.Array) else pa.array(list(dictionary), pa.string())
    index = pa.array(np.asarray(indices, dtype=np.int32), mask=missing)
    return pa.DictionaryArray.from_arrays(index, values)


def _dates(days: Array, dictionaries: Dictionaries, missing: Array | None = None) -> pa.DictionaryArray:
    return _coded(np.asarray(days) - dictionaries.first_day, dictionaries.dates, missing)


def _digits(values: Array, width: int) -> pa.Array:
    """Non-negative integers as zero-padded decimal text of at least ``width`` characters."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.uint64)), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0")


def hesid_numbers(person: Array, seed: int) -> Array:
    """A bijection of person numbers (< 10**12) onto 12-digit pseudonyms, different for each seed."""
    offset = np.uint64(seed % 10**12)
    result: Array = (np.asarray(person, dtype=np.uint64) * np.uint64(_PERSON_PERMUTATION) + offset) % np.uint64(
        10**12)
    return result


def episodes_table(ctx: GeneratorContext, batch: MonthBatch, dictionaries: Dictionaries,
                   duplicate_rows: Array) -> pa.Table:
    """The episode rows of one batch, with the planted duplicates right after their originals."""
    spells = batch.spells
    written = batch.episodes["spell"]
    is_last_written = (np.concatenate([written[1:] != written[:-1], [True]]) if len(written)
                       else np.zeros(0, dtype=bool))
    rows = np.sort(np.concatenate([np.arange(len(written)), duplicate_rows]), kind="stable")
    episodes = batch.episodes.take(rows)
    spell = episodes["spell"]
    e = len(spell)
    finished = ~spells["unfinished"][spell]
    closes_spell = is_last_written[rows] & finished
    key = month_key(batch.month)

    local = rows.astype(np.uint64) + np.uint64(batch.number * _BATCH_KEY_STRIDE)
    epikey = (np.uint64(99 * 10**17) + np.uint64(key) * np.uint64(10**13)
              + (local * np.uint64(_KEY_PERMUTATION)) % np.uint64(10**13))
    spell_number = (np.uint64(key) * np.uint64(10**8) + np.uint64(batch.number * 10**6)
                    + spell.astype(np.uint64)) * np.uint64(_SPELL_PERMUTATION) % np.uint64(10**12)

    in_progress = episodes["in_progress"]
    epistat = np.full(e, EPISTAT_CODES.index("3"))
    epistat[in_progress] = np.where(local[in_progress] % np.uint64(10) == 0, EPISTAT_CODES.index("9"),
                                    EPISTAT_CODES.index("1"))
    start, end = episodes["start"], episodes["end"]
    swapped = episodes["dates_out_of_order"] & ~in_progress
    written_start = np.where(swapped, np.where(end > start, end, start + 1), start)
    written_end = np.where(swapped & (end > start), start, end)
    discharge = spells["admit"][spell] + spells["los"][spell]
    disdate_missing = spells["disdate_missing"][spell]
    disdate_day = np.where(disdate_missing == DISDATE_NULL_DATE, dictionaries.first_day, discharge)
    no_disdate = ~closes_spell | ((disdate_missing > 0) & (disdate_missing != DISDATE_NULL_DATE))

    startage = spells["startage_written"][spell]
    lsoa = spells["lsoa"][spell]
    birthweight = spells["birthweight"][spell]
    has_weight = (episodes["epiorder"] == 1) & (birthweight >= 0)

    columns: dict[str, pa.Array] = {
        schema.EPIKEY: pc.cast(pa.array(epikey), pa.string()),
        schema.HESID: _digits(hesid_numbers(spells["person"][spell], ctx.settings.seed), 12),
        schema.PROCODE3: _coded(spells["trust"][spell], dictionaries.trusts),
        schema.SITETRET: _coded(episodes["site"], dictionaries.sites),
        schema.PROVSPNOPS: _digits(spell_number, 14),
        schema.EPIORDER: _coded(episodes["epiorder"], EPIORDER_TEXT),
        schema.EPISTAT: _coded(epistat, EPISTAT_CODES),
        schema.EPISTART: _dates(written_start, dictionaries),
        schema.EPIEND: _dates(written_end, dictionaries, in_progress),
        schema.ADMIDATE: _dates(spells["admit"][spell], dictionaries),
        schema.DISDATE: _dates(disdate_day, dictionaries, no_disdate),
        schema.ADMIMETH: _coded(spells["admimeth"][spell], ADMIMETH_CODES),
        schema.ADMISORC: _coded(spells["admisorc"][spell], ADMISORC_CODES),
        schema.DISMETH: _coded(np.where(closes_spell, spells["discharge_method"][spell],
                                        DISMETH_CODES.index("8")), DISMETH_CODES),
        schema.DISDEST: _coded(np.where(closes_spell, spells["discharge_destination"][spell],
                                        DISDEST_CODES.index("98")), DISDEST_CODES),
        schema.CLASSPAT: _coded(spells["classpat"][spell], CLASSPAT_CODES),
        schema.STARTAGE: _coded(startage_index(np.where(startage == EMPTY_AGE, UNKNOWN_AGE, startage)),
                                dictionaries.startage, startage == EMPTY_AGE),
        schema.SEX: _coded(spells["sex_written"][spell], SEX_CODES),
    }
    columns[schema.PRIMARY_DIAGNOSIS] = _coded(episodes["primary"], dictionaries.codes)
    secondary = batch.secondary_codes[spell]
    count = episodes["n_secondary"]
    z515_position = np.where(episodes["z515"], np.minimum(count, SECONDARY_POSITIONS - 1), -1)
    palliative = ctx.codes.index[schema.PALLIATIVE_DIAGNOSIS]
    for position, name in enumerate(schema.DIAGNOSIS_COLUMNS[1:]):
        code = np.where(z515_position == position, palliative, secondary[:, position])
        empty = (position >= count) & (z515_position != position)
        columns[name] = _coded(np.where(empty, 0, code), dictionaries.codes, empty)
    columns[schema.TRETSPEF] = _coded(episodes["specialty"], dictionaries.specialties)
    columns[schema.MAINSPEF] = _coded(dictionaries.main_specialty[episodes["specialty"]], dictionaries.specialties)
    columns[schema.LSOA11] = _coded(np.maximum(lsoa, 0), dictionaries.lsoas, lsoa < 0)
    columns[schema.BIRWEIT_1] = pc.cast(pa.array(np.maximum(birthweight, 0), mask=~has_weight), pa.string())
    columns[schema.ETHNOS] = _coded(spells["ethnos"][spell], ETHNOS_CODES)
    return pa.table({name: columns[name] for name in schema.EPISODE_FIELDS})


def deaths_table(ctx: GeneratorContext, batch: MonthBatch, dictionaries: Dictionaries) -> pa.Table:
    """``HESID``, ``DOD``, ``CAUSE_OF_DEATH`` of the deaths generated by one month's chunk."""
    return pa.table({
        schema.HESID: _digits(hesid_numbers(batch.death_person, ctx.settings.seed), 12),
        schema.DOD: _dates(batch.death_day, dictionaries),
        schema.CAUSE_OF_DEATH: _coded(batch.death_cause, dictionaries.codes),
    })


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def open_deaths_writer(path: Path) -> pq.ParquetWriter:
    coded = pa.dictionary(pa.int32(), pa.string())
    schema_ = pa.schema([(schema.HESID, pa.string()), (schema.DOD, coded), (schema.CAUSE_OF_DEATH, coded)])
    return pq.ParquetWriter(path, schema_, **PARQUET_OPTIONS)


def csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    """CSV with a header row, ``\\n`` line ends, and fields quoted only where needed."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="")


def json_text(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
