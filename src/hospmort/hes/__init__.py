"""Read and validate the record-level inputs (``design/data-contract.md``) into DuckDB.

:func:`load_inputs` is the entry point. It leaves three tables in the connection:

* ``episodes``: the typed, validated episodes (columns documented in :mod:`hospmort.hes.validate`);
* ``deaths``: ``HESID``, ``DOD``, one row per person;
* ``organisations``: the organisation table of data contract §3 (:mod:`hospmort.hes.organisations`);

and returns an :class:`InputReport` with the count of every data-contract rule per ``PROCODE3`` and ``ALL`` and
a few example codes. Unusable input raises :class:`hospmort.errors.InputDataError` (rules ``FILE_UNREADABLE``,
``REQUIRED_COLUMN_MISSING``, ``INPUT_EMPTY``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hospmort.hes.organisations import Organisation, load_organisations
from hospmort.hes.quality import DataQualityRow
from hospmort.hes.read import parse_column_map
from hospmort.hes.validate import ValidationResult, contract_measure, read_and_validate
from hospmort.schema import ContractRule

log = logging.getLogger(__name__)

__all__ = [
    "DataQualityRow",
    "InputReport",
    "Organisation",
    "contract_measure",
    "load_inputs",
    "parse_column_map",
]


@dataclass(frozen=True)
class InputReport:
    """What :func:`load_inputs` read: the validation result and the organisation table."""

    validation: ValidationResult
    organisations: tuple[Organisation, ...]
    organisations_file: str | None

    @property
    def rows(self) -> tuple[DataQualityRow, ...]:
        """Data-quality rows of reading and validation (shmi.md §16.8), per trust code and ``ALL``."""
        return self.validation.rows

    @property
    def trust_codes(self) -> tuple[str, ...]:
        """Every ``PROCODE3`` met in the episodes read, sorted."""
        return self.validation.trust_codes

    @property
    def examples(self) -> Mapping[ContractRule, tuple[str, ...]]:
        return self.validation.examples

    def count(self, rule: ContractRule) -> int:
        """The ``ALL`` count of one data-contract rule."""
        return self.validation.count(rule)


def load_inputs(
    con: duckdb.DuckDBPyConnection,
    episodes_path: Path | str,
    deaths_path: Path | str,
    organisations_path: Path | None,
    column_map: Mapping[str, str] | None = None,
) -> InputReport:
    """Read, validate and register ``episodes``, ``deaths`` and ``organisations`` (data contract §1-§4).

    ``column_map`` maps input column names to contract fields (``--column-map``, see
    :func:`hospmort.hes.read.parse_column_map`); it applies to both record-level inputs.
    """
    organisations = load_organisations(con, organisations_path)
    validation = read_and_validate(con, episodes_path, deaths_path, column_map or {})
    return InputReport(validation, organisations, None if organisations_path is None else str(organisations_path))
