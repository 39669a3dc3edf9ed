"""The exceptions hospmort raises. Library code raises these; only ``cli.py`` turns them into exit codes.

Every message names the file, the column, the rule and the count where they apply, and never a patient
identifier or any other patient-level value.
"""

from __future__ import annotations


class HospmortError(Exception):
    """Base class of every error hospmort raises on purpose."""


class InputDataError(HospmortError):
    """Input data break a rule of the data contract or cannot be used.

    ``file``, ``column``, ``rule`` and ``count`` are kept as attributes so that callers (and tests) can read
    them without parsing the message.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rule: str | None = None,
        count: int | None = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.column = column
        self.rule = rule
        self.count = count


class ConfigError(HospmortError):
    """The run configuration (options or a TOML file) is invalid."""


class ModelFitError(HospmortError):
    """A risk model could not be fitted at all (a non-converged model is reported, not raised)."""


class StoreError(HospmortError):
    """The results database cannot be opened, read or written."""


def describe_input_problem(*, file: str, column: str | None, rule: str, count: int, detail: str = "") -> str:
    """One-line description of a rule broken by input data: file, column, rule, count and an optional detail."""
    where = f"{file}" if column is None else f"{file}, column {column}"
    text = f"{where}: rule {rule} broken by {count} row{'s' if count != 1 else ''}"
    return f"{text}: {detail}" if detail else text
