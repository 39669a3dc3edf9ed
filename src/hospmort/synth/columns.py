"""A small column table of numpy arrays (one row per spell or per episode) and the code lists the generator
writes (data contract §1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hospmort.schema import ADMIMETH, ADMISORC, CLASSPAT, DISDEST, DISMETH, EPISTAT, SEX, VALID_CODES

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class ColumnTable:
    """Named numpy arrays of equal length."""

    columns: dict[str, Array]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> Array:
        return self.columns[name]

    def take(self, rows: Array) -> ColumnTable:
        """The rows at ``rows`` (indices or a boolean mask), in that order."""
        return ColumnTable({name: values[rows] for name, values in self.columns.items()})

    def with_columns(self, **columns: Array) -> ColumnTable:
        return ColumnTable({**self.columns, **columns})

    @staticmethod
    def concat(tables: Iterable[ColumnTable]) -> ColumnTable:
        parts = [t for t in tables if len(t) > 0]
        if not parts:
            return ColumnTable({})
        names = list(parts[0].columns)
        return ColumnTable({name: np.concatenate([t.columns[name] for t in parts]) for name in names})


def _sorted_codes(field: str) -> tuple[str, ...]:
    return tuple(sorted(VALID_CODES[field]))


#: Dictionaries of the coded fields: the generator stores indices into these tuples.
ADMIMETH_CODES = _sorted_codes(ADMIMETH)
ADMISORC_CODES = _sorted_codes(ADMISORC)
DISMETH_CODES = _sorted_codes(DISMETH)
DISDEST_CODES = _sorted_codes(DISDEST)
CLASSPAT_CODES = _sorted_codes(CLASSPAT)
EPISTAT_CODES = _sorted_codes(EPISTAT)
SEX_CODES = _sorted_codes(SEX)
ETHNOS_CODES = ("A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z", "99")
ETHNOS_WEIGHTS = (74.0, 1.5, 4.5, 0.6, 0.4, 0.5, 0.7, 2.5, 2.2, 0.9, 1.4, 1.2, 1.3, 0.5, 0.5, 1.8, 3.5, 2.5)
#: Treatment and main specialty codes written.
SPECIALTY_CODES = ("100", "101", "103", "107", "110", "120", "130", "150", "160", "170", "171", "180", "300",
                   "301", "302", "303", "314", "315", "320", "328", "330", "340", "350", "361", "370", "400",
                   "410", "420", "422", "424", "430", "501", "502", "710", "715", "800")
SPECIALTY_INDEX = {code: i for i, code in enumerate(SPECIALTY_CODES)}
#: ``STARTAGE`` text by index: 0-120, then 7001-7007, then 999.
STARTAGE_TEXT = (*(str(a) for a in range(121)), *(str(a) for a in range(7001, 7008)), "999")
UNKNOWN_AGE = 999
#: LSOAs outside England written for a few patients (Welsh codes), and the English pseudo code.
NON_ENGLISH_LSOAS = ("W01000145", "W01000567", "W01001203", "W01001688", "E99999999")
EPIORDER_TEXT = tuple(str(i) for i in range(100))


def code_index(codes: tuple[str, ...], code: str) -> int:
    return codes.index(code)


def startage_index(startage: Array) -> Array:
    """Index into ``STARTAGE_TEXT`` of ``STARTAGE`` values (0-120, 7001-7007, 999)."""
    return np.where(startage >= 7001, startage - 7001 + 121, np.where(startage == UNKNOWN_AGE, 128, startage))
