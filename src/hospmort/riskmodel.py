"""Per-group logistic risk models fitted on covariate cells, their predictions and their performance.

The rules are those of ``methodology/shmi.md`` §10 (covariates per group §10.1, cells §10.2, design matrix with
reference levels and aliased columns §10.3, estimation §10.4, outputs §10.5) and ``methodology/statistics.md``
§5 (c statistic and calibration by deciles of risk). The fitter is generic: covariate names and their
reference-level rules are given by the caller, so the HSMR (``methodology/hsmr.md`` §6.2) uses the same code
with its own covariates.

Everything here is pure numpy/scipy on cells (one row per distinct covariate tuple), never on records, and
nothing reads or writes files. Cells are sorted ascending by their covariate tuple (shmi.md §2.2), so a fit is
a deterministic function of the cells.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import special, stats
from scipy.linalg import lapack

from hospmort import refdata
from hospmort.errors import ModelFitError
from hospmort.schema import (
    ADMIMETH,
    ADMISSION_MONTH,
    AGE_GROUP,
    BIRTHWEIGHT,
    CHARLSON_INDEX,
    GENDER,
    YEAR_INDEX,
)

log = logging.getLogger(__name__)

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

#: Name of the intercept predictor in the model files (shmi.md §8, §16.6).
INTERCEPT = "Intercept"

# --- constants of the estimation rules (shmi.md §10.3, §10.4) -------------------------------------------
ALIASING_TOLERANCE = 1e-8
#: Residual/norm above which the fast path of the aliasing rule keeps a column without the literal check.
CLEAR_INDEPENDENCE_MARGIN = 1e-3
STAGE1_MAX_ITERATIONS = 50
STAGE2_MAX_ITERATIONS = 100
RIDGE_PENALTY = 1e-6
MAX_STEP_HALVINGS = 30
STEP_FALL_TOLERANCE = 1e-12
STOPPING_TOLERANCE = 1e-10
STOPPING_OFFSET = 0.1

#: The SHMI diagnosis groups 1-144, one model each (shmi.md §7.4, §10.1).
SHMI_GROUPS = range(1, refdata.NUMBER_OF_GROUPS + 1)


class FitMethod(StrEnum):
    """``FIT_METHOD`` of the fit-statistics file (shmi.md §10.4, §16.6)."""

    MLE = "mle"
    RIDGE = "ridge"
    NONE = "none"


class PredictorRole(StrEnum):
    """Why a predictor row has the values it has (shmi.md §10.5)."""

    INTERCEPT = "intercept"
    ESTIMATED = "estimated"
    REFERENCE = "reference"
    ALIASED = "aliased"


@dataclass(frozen=True)
class ModalReference:
    """Reference level = the level with most spells in the group; ties: the lowest level (shmi.md §10.3)."""


@dataclass(frozen=True)
class FixedReference:
    """Reference level = ``level``; the lowest level present when ``level`` is absent (shmi.md §10.3)."""

    level: int


ReferenceRule: TypeAlias = ModalReference | FixedReference
MODAL_REFERENCE = ModalReference()


@dataclass(frozen=True)
class Covariate:
    """A categorical main effect: its name (predictor prefix, ``<name>_<level>``) and reference-level rule."""

    name: str
    reference: ReferenceRule = MODAL_REFERENCE


def shmi_covariates(group: int) -> tuple[Covariate, ...]:
    """The covariates of SHMI group ``group``'s model, in design order (shmi.md §10.1, reference rules §10.3).

    Groups 115-119 and 141 (perinatal) add ``BIRTHWEIGHT``; group 144 has no ``CHARLSON_INDEX`` term.
    ``CHARLSON_INDEX`` and ``YEAR_INDEX`` take level 1 as reference; every other covariate its modal level.
    """
    if group not in SHMI_GROUPS:
        raise ValueError(f"SHMI diagnosis group must be 1-144, got {group!r}")
    age = Covariate(AGE_GROUP)
    gender = Covariate(GENDER)
    admission_method = Covariate(ADMIMETH)
    month = Covariate(ADMISSION_MONTH)
    charlson = Covariate(CHARLSON_INDEX, FixedReference(1))
    year = Covariate(YEAR_INDEX, FixedReference(1))
    if group == refdata.INVALID_DIAGNOSIS_GROUP:
        return (age, gender, admission_method, month, year)
    if group in refdata.PERINATAL_GROUPS:
        return (age, gender, admission_method, month, charlson, year, Covariate(BIRTHWEIGHT))
    return (age, gender, admission_method, month, charlson, year)


# --- cells (shmi.md §10.2) ---------------------------------------------------------------------------------


def _as_count_array(values: npt.ArrayLike, name: str) -> npt.NDArray[np.int64] | FloatArray:
    array = np.asarray(values)
    if array.dtype.kind in "iub":
        return array.astype(np.int64)
    if array.dtype.kind == "f":
        return array.astype(np.float64)
    raise ValueError(f"{name} must hold integer or float counts, got dtype {array.dtype}")


def _first_unsorted_row(levels: IntArray) -> int | None:
    """Index of the first row that is not strictly greater (lexicographically) than its predecessor."""
    if levels.shape[0] < 2:
        return None
    if levels.shape[1] == 0:
        return 1
    differs = levels[1:] != levels[:-1]
    first_difference = np.argmax(differs, axis=1)
    rows = np.arange(levels.shape[0] - 1)
    increasing = differs.any(axis=1) & (
        levels[1:][rows, first_difference] > levels[:-1][rows, first_difference]
    )
    bad = np.flatnonzero(~increasing)
    return int(bad[0]) + 1 if bad.size else None


@dataclass(frozen=True, eq=False)
class Cells:
    """Covariate cells of one group: unique level tuples sorted ascending, with spells n_c and deaths d_c.

    ``levels`` has one row per cell and one column per covariate (design order). ``spells`` and ``deaths``
    are counts (int64) or non-negative weights (float64). Every cell has ``spells`` > 0 and
    0 <= ``deaths`` <= ``spells``. The arrays are made read-only. Build cells from unsorted or repeated
    tuples with :func:`aggregate_cells`, or from one row per record with :func:`cells_from_records`.
    """

    levels: IntArray
    spells: npt.NDArray[np.int64] | FloatArray
    deaths: npt.NDArray[np.int64] | FloatArray

    def __post_init__(self) -> None:
        levels = np.asarray(self.levels)
        if levels.ndim != 2:
            raise ValueError(f"levels must be a 2-D array (cells x covariates), got shape {levels.shape}")
        if levels.size and levels.dtype.kind not in "iu":
            raise ValueError(f"levels must be integers, got dtype {levels.dtype}")
        levels = np.ascontiguousarray(levels, dtype=np.int64)
        spells = _as_count_array(self.spells, "spells")
        deaths = _as_count_array(self.deaths, "deaths")
        cell_count = levels.shape[0]
        if spells.shape != (cell_count,) or deaths.shape != (cell_count,):
            raise ValueError(
                f"spells and deaths must have one value per cell ({cell_count}), "
                f"got shapes {spells.shape} and {deaths.shape}"
            )
        if not (np.all(np.isfinite(spells)) and np.all(np.isfinite(deaths))):
            raise ValueError("spells and deaths must be finite")
        if np.any(spells <= 0):
            raise ValueError(f"every cell must have spells > 0; {int(np.sum(spells <= 0))} cells do not")
        if np.any(deaths < 0) or np.any(deaths > spells):
            bad = int(np.sum((deaths < 0) | (deaths > spells)))
            raise ValueError(f"every cell must have 0 <= deaths <= spells; {bad} cells do not")
        unsorted = _first_unsorted_row(levels)
        if unsorted is not None:
            raise ValueError(
                f"cells must be unique and sorted ascending by level tuple; row {unsorted} is not "
                "(use aggregate_cells)"
            )
        for array in (levels, spells, deaths):
            array.setflags(write=False)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "spells", spells)
        object.__setattr__(self, "deaths", deaths)

    @property
    def cell_count(self) -> int:
        return int(self.levels.shape[0])

    @property
    def covariate_count(self) -> int:
        return int(self.levels.shape[1])

    @property
    def survivors(self) -> npt.NDArray[np.int64] | FloatArray:
        return self.spells - self.deaths

    @property
    def total_spells(self) -> int | float:
        """N = Σ n_c (exact: integer sum, or math.fsum for weights)."""
        return _exact_total(self.spells)

    @property
    def total_deaths(self) -> int | float:
        """D = Σ d_c (exact: integer sum, or math.fsum for weights)."""
        return _exact_total(self.deaths)


def _exact_total(values: npt.NDArray[np.int64] | FloatArray) -> int | float:
    if values.dtype.kind == "i":
        return int(values.sum())
    return math.fsum(values.tolist())


def aggregate_cells(
    levels: npt.ArrayLike, spells: npt.ArrayLike, deaths: npt.ArrayLike, *, covariate_count: int | None = None
) -> Cells:
    """Cells from rows of (level tuple, spells, deaths) in any order: equal tuples are summed, rows sorted.

    Rows with no spells are dropped. ``covariate_count`` gives the number of columns when there are no rows.
    """
    level_array = np.asarray(levels, dtype=np.int64)
    if level_array.size == 0:
        width = covariate_count if covariate_count is not None else (
            level_array.shape[1] if level_array.ndim == 2 else 0
        )
        return Cells(np.zeros((0, width), dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    spell_array = _as_count_array(spells, "spells")
    death_array = _as_count_array(deaths, "deaths")
    if level_array.ndim != 2 or spell_array.shape != (level_array.shape[0],) or (
        death_array.shape != spell_array.shape
    ):
        raise ValueError(
            f"levels must be (rows x covariates) with one spells and deaths value per row; got shapes "
            f"{level_array.shape}, {spell_array.shape}, {death_array.shape}"
        )
    unique_levels, inverse = np.unique(level_array, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    summed_spells = _sum_by_index(spell_array, inverse, unique_levels.shape[0])
    summed_deaths = _sum_by_index(death_array, inverse, unique_levels.shape[0])
    keep = summed_spells > 0
    return Cells(unique_levels[keep], summed_spells[keep], summed_deaths[keep])


def _sum_by_index(
    values: npt.NDArray[np.int64] | FloatArray, index: npt.NDArray[np.intp], size: int
) -> npt.NDArray[np.int64] | FloatArray:
    if values.dtype.kind == "i":
        totals = np.zeros(size, dtype=np.int64)
        np.add.at(totals, index, values)
        return totals
    return np.bincount(index, weights=values, minlength=size).astype(np.float64)


def cells_from_records(levels: npt.ArrayLike, died: npt.ArrayLike) -> Cells:
    """Cells from one row per record (spell): its level tuple and its outcome (0/1 or False/True)."""
    level_array = np.asarray(levels, dtype=np.int64)
    died_array = np.asarray(died)
    if died_array.ndim != 1 or level_array.ndim != 2 or level_array.shape[0] != died_array.shape[0]:
        raise ValueError(
            f"levels must be (records x covariates) and died one value per record; got shapes "
            f"{level_array.shape} and {died_array.shape}"
        )
    if died_array.size and not np.all((died_array == 0) | (died_array == 1)):
        raise ValueError("died must hold 0/1 outcomes")
    return aggregate_cells(
        level_array,
        np.ones(level_array.shape[0], dtype=np.int64),
        died_array.astype(np.int64),
        covariate_count=level_array.shape[1] if level_array.ndim == 2 else None,
    )


# --- design matrix (shmi.md §10.3) -------------------------------------------------------------------------


def choose_reference_level(rule: ReferenceRule, levels: IntArray, spells: FloatArray) -> int:
    """Reference level among the present ``levels`` (ascending, unique) with their total ``spells``.

    Modal: the level with most spells, ties to the lowest. Fixed: that level, or the lowest present level when
    it is absent (shmi.md §10.3; hsmr.md §6.2).
    """
    if levels.size == 0:
        raise ValueError("a reference level needs at least one level present")
    if isinstance(rule, FixedReference):
        return rule.level if bool(np.any(levels == rule.level)) else int(levels[0])
    return int(levels[int(np.argmax(spells))])  # argmax returns the first (lowest) maximum


@dataclass(frozen=True)
class DesignColumn:
    """One candidate column of the design: the intercept (``level`` None) or ``<variable>_<level>``."""

    variable: str
    level: int | None

    @property
    def name(self) -> str:
        return self.variable if self.level is None else f"{self.variable}_{self.level}"


class DenseDesign:
    """A design given as a dense matrix (rows x columns); products by BLAS. Any design, e.g. record level."""

    def __init__(self, matrix: npt.ArrayLike) -> None:
        self.matrix: FloatArray = np.ascontiguousarray(matrix, dtype=np.float64)
        if self.matrix.ndim != 2 or self.matrix.shape[1] < 1:
            raise ValueError(f"a design must be (rows x columns) with a column, got shape {self.matrix.shape}")

    @property
    def row_count(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def column_count(self) -> int:
        return int(self.matrix.shape[1])

    def matvec(self, coefficients: FloatArray) -> FloatArray:
        """η = Xβ."""
        product: FloatArray = self.matrix @ coefficients
        return product

    def rmatvec(self, values: FloatArray) -> FloatArray:
        """Xᵀv."""
        product: FloatArray = self.matrix.T @ values
        return product

    def weighted_gram(self, weights: FloatArray) -> FloatArray:
        """Xᵀ diag(w) X."""
        product: FloatArray = (self.matrix * weights[:, None]).T @ self.matrix
        return product


class CategoricalDesign:
    """A design of categorical main effects, held as level indices instead of a dense 0/1 matrix.

    Every column is the intercept or the indicator of one level of one covariate. ``level_index[j]`` is each
    row's position among covariate j's present levels and ``level_counts[j]`` their number; ``columns`` gives
    the position of each design column in the full layout (0 = intercept, then every present level of every
    covariate, covariates in order). Products are gathers and ``bincount`` sums in row order: deterministic,
    single-threaded and O(rows x covariates²) for Xᵀ diag(w) X, whatever the number of columns.
    """

    def __init__(
        self, level_index: Sequence[npt.ArrayLike], level_counts: Sequence[int], columns: Sequence[int]
    ) -> None:
        self._index = [np.asarray(index, dtype=np.intp) for index in level_index]
        self._counts = [int(count) for count in level_counts]
        if len(self._index) != len(self._counts) or len({index.shape for index in self._index}) > 1:
            raise ValueError("level_index needs one array of equal length per covariate, level_counts one count")
        self._rows = int(self._index[0].shape[0]) if self._index else 0
        offsets = np.concatenate(([1], 1 + np.cumsum(self._counts, dtype=np.int64))).astype(np.int64)
        self._slices = [slice(int(offsets[j]), int(offsets[j + 1])) for j in range(len(self._counts))]
        self._size = int(offsets[-1])
        self._pairs = [
            (j, k, self._index[j] * self._counts[k] + self._index[k])
            for j in range(len(self._counts))
            for k in range(j + 1, len(self._counts))
        ]
        self._columns = np.asarray(columns, dtype=np.intp)
        if self._columns.size < 1 or self._columns[0] != 0 or np.any(np.diff(self._columns) <= 0) or (
            self._columns[-1] >= self._size
        ):
            raise ValueError("columns must start with the intercept (0) and ascend within the full layout")

    @property
    def row_count(self) -> int:
        return self._rows

    @property
    def column_count(self) -> int:
        return int(self._columns.size)

    def matvec(self, coefficients: FloatArray) -> FloatArray:
        """η = Xβ: the intercept plus each covariate's coefficient, added in covariate order."""
        full = np.zeros(self._size)
        full[self._columns] = coefficients
        eta = np.full(self._rows, full[0])
        for index, part in zip(self._index, self._slices, strict=True):
            eta = eta + full[part][index]
        return eta

    def rmatvec(self, values: FloatArray) -> FloatArray:
        """Xᵀv: the sum of v over all rows, and over the rows at each level."""
        full = np.empty(self._size)
        full[0] = float(np.sum(values))
        for index, count, part in zip(self._index, self._counts, self._slices, strict=True):
            full[part] = np.bincount(index, weights=values, minlength=count)
        product: FloatArray = full[self._columns]
        return product

    def weighted_gram(self, weights: FloatArray) -> FloatArray:
        """Xᵀ diag(w) X: sums of w over the rows having both levels, one ``bincount`` per covariate pair."""
        full = np.zeros((self._size, self._size))
        full[0, 0] = float(np.sum(weights))
        for index, count, part in zip(self._index, self._counts, self._slices, strict=True):
            sums = np.bincount(index, weights=weights, minlength=count)
            full[0, part] = sums
            full[part, 0] = sums
            full[part, part] = np.diag(sums)
        for j, k, codes in self._pairs:
            block = np.bincount(codes, weights=weights, minlength=self._counts[j] * self._counts[k]).reshape(
                self._counts[j], self._counts[k]
            )
            full[self._slices[j], self._slices[k]] = block
            full[self._slices[k], self._slices[j]] = block.T
        gram: FloatArray = full[np.ix_(self._columns, self._columns)]
        return gram


DesignOperator: TypeAlias = DenseDesign | CategoricalDesign


@dataclass(frozen=True, eq=False)
class Design:
    """The design of one group's cells (shmi.md §10.3).

    ``matrix`` holds the kept columns densely (cells x kept), ``columns`` their names in order, ``aliased``
    the candidate columns dropped by the aliasing rule, ``present_levels`` the ascending levels present per
    covariate, ``reference_levels`` the reference level per covariate and ``operator`` the same kept columns
    as a :class:`CategoricalDesign` (what the fit uses).
    """

    matrix: FloatArray
    columns: tuple[DesignColumn, ...]
    aliased: tuple[DesignColumn, ...]
    present_levels: tuple[IntArray, ...]
    reference_levels: tuple[int, ...]
    operator: CategoricalDesign


def select_independent_columns(
    matrix: FloatArray, tolerance: float = ALIASING_TOLERANCE, *, gram: FloatArray | None = None
) -> BoolArray:
    """Which columns to keep, walking them in order (shmi.md §10.3).

    A column is kept when the Euclidean norm of its residual after least-squares projection on the columns
    already kept (over the rows given, unweighted) exceeds ``tolerance`` times its own norm. Fast path: when a
    Cholesky factorisation of XᵀX (``gram``, computed when not given) shows every residual above 1e-3 times
    its column's norm (10⁵ times the threshold, far beyond rounding), every column is kept; otherwise the rule
    is applied literally by :func:`select_independent_columns_by_gram_schmidt`.
    """
    if _all_columns_clearly_independent(matrix.T @ matrix if gram is None else gram):
        return np.ones(matrix.shape[1], dtype=np.bool_)
    return select_independent_columns_by_gram_schmidt(matrix, tolerance)


def _all_columns_clearly_independent(gram: FloatArray) -> bool:
    """True when, by the Gram matrix XᵀX, every column's residual on all earlier columns exceeds 1e-3 times
    its norm.

    The squared residual of column j on columns 0..j-1 is the j-th squared pivot of the Cholesky factor of
    XᵀX; a factorisation that fails, or any pivot below the margin, sends the caller to the literal rule.
    """
    if gram.shape[1] == 0:
        return True
    squared_norms = np.diag(gram).copy()
    if np.any(squared_norms <= 0):
        return False
    factor = _cholesky(gram)
    if factor is None:
        return False
    return bool(np.all(np.diag(factor) ** 2 > CLEAR_INDEPENDENCE_MARGIN**2 * squared_norms))


def select_independent_columns_by_gram_schmidt(
    matrix: FloatArray, tolerance: float = ALIASING_TOLERANCE
) -> BoolArray:
    """The aliasing rule of shmi.md §10.3 applied literally, column by column: the residual of each column on
    the columns already kept is computed by Gram-Schmidt with one re-orthogonalisation (accurate to rounding)
    and the column is kept when its norm exceeds ``tolerance`` times the column's own norm."""
    rows, cols = matrix.shape
    basis = np.empty((cols, rows), dtype=np.float64)  # orthonormal kept directions, one per row
    keep = np.zeros(cols, dtype=np.bool_)
    kept = 0
    for j in range(cols):
        column = np.asarray(matrix[:, j], dtype=np.float64)
        own_norm = float(np.linalg.norm(column))
        residual = column.copy()
        if kept:
            for _ in range(2):
                residual -= basis[:kept].T @ (basis[:kept] @ residual)
        residual_norm = float(np.linalg.norm(residual))
        if residual_norm > tolerance * own_norm:
            basis[kept] = residual / residual_norm
            kept += 1
            keep[j] = True
    return keep


def build_design(covariates: Sequence[Covariate], cells: Cells) -> Design:
    """Design of ``cells`` (shmi.md §10.3): intercept, then per covariate one 0/1 column per present level
    except the reference level, levels ascending; aliased columns dropped and recorded."""
    if cells.covariate_count != len(covariates):
        raise ValueError(
            f"cells have {cells.covariate_count} covariate columns but {len(covariates)} covariates were given"
        )
    names = [covariate.name for covariate in covariates]
    if len(set(names)) != len(names) or INTERCEPT in names:
        raise ValueError(f"covariate names must be unique and not {INTERCEPT!r}, got {names}")
    if cells.cell_count == 0:
        raise ValueError("a design needs at least one cell")
    spells = cells.spells.astype(np.float64)
    candidates: list[DesignColumn] = [DesignColumn(INTERCEPT, None)]
    positions: list[int] = [0]  # of each candidate in the full layout of CategoricalDesign
    blocks: list[FloatArray] = [np.ones((cells.cell_count, 1))]
    present_levels: list[IntArray] = []
    level_index: list[IntArray] = []
    references: list[int] = []
    offset = 1
    for index, covariate in enumerate(covariates):
        column = cells.levels[:, index]
        levels, inverse = np.unique(column, return_inverse=True)
        inverse = inverse.reshape(-1)
        spells_per_level = np.bincount(inverse, weights=spells, minlength=levels.size).astype(np.float64)
        reference = choose_reference_level(covariate.reference, levels, spells_per_level)
        present_levels.append(levels)
        level_index.append(inverse.astype(np.int64))
        references.append(reference)
        non_reference = np.flatnonzero(levels != reference)
        candidates.extend(DesignColumn(covariate.name, int(levels[k])) for k in non_reference)
        positions.extend(offset + int(k) for k in non_reference)
        blocks.append((inverse[:, None] == non_reference[None, :]).astype(np.float64))
        offset += levels.size
    candidate_matrix = np.hstack(blocks)
    counts = [levels.size for levels in present_levels]
    candidate_gram = CategoricalDesign(level_index, counts, positions).weighted_gram(np.ones(cells.cell_count))
    keep = select_independent_columns(candidate_matrix, gram=candidate_gram)
    return Design(
        matrix=np.ascontiguousarray(candidate_matrix[:, keep]),
        columns=tuple(c for c, k in zip(candidates, keep, strict=True) if k),
        aliased=tuple(c for c, k in zip(candidates, keep, strict=True) if not k),
        present_levels=tuple(present_levels),
        reference_levels=tuple(references),
        operator=CategoricalDesign(level_index, counts, [p for p, k in zip(positions, keep, strict=True) if k]),
    )


# --- estimation (shmi.md §10.4) ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LogisticFit:
    """The result of :func:`fit_logistic` on a design whose column 0 is the (unpenalised) intercept.

    ``standard_errors`` is None when the information matrix at the final coefficients has no Cholesky factor
    (possible only for a ridge fit that did not converge). ``iterations`` counts the Newton iterations of the
    reported stage whose step was accepted (stage 2 alone for a ridge fit).
    """

    coefficients: FloatArray
    standard_errors: FloatArray | None
    method: FitMethod
    converged: bool
    iterations: int
    log_likelihood: float
    penalty: float


@dataclass(frozen=True, eq=False)
class NewtonOutcome:
    """Where a Newton-Raphson run of shmi.md §10.4 ended.

    ``coefficients`` and ``log_likelihood`` are the last accepted iterate; ``objectives`` holds ℓ at the start
    values and after every accepted step. ``stopped``: the stopping rule was met. ``failed``: a Cholesky
    factorisation failed, a value was not finite, or a step still lowered ℓ after 30 halvings.
    """

    coefficients: FloatArray
    log_likelihood: float
    iterations: int
    stopped: bool
    failed: bool
    objectives: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class HalvedStep:
    """The outcome of :func:`take_halved_step`: the new iterate and ℓ there (None/nan when the step failed)."""

    coefficients: FloatArray | None
    log_likelihood: float
    halvings: int


def as_design_operator(design: npt.ArrayLike | DesignOperator) -> DesignOperator:
    """``design`` itself when it is a design operator, else a :class:`DenseDesign` of the array."""
    if isinstance(design, DenseDesign | CategoricalDesign):
        return design
    return DenseDesign(design)


def start_values(column_count: int, total_spells: float, total_deaths: float) -> FloatArray:
    """β_Intercept = log((D + 0.5)/(N − D + 0.5)), every other β = 0 (shmi.md §10.4)."""
    beta = np.zeros(column_count)
    beta[0] = math.log((total_deaths + 0.5) / (total_spells - total_deaths + 0.5))
    return beta


def penalised_log_likelihood(
    design: DesignOperator, spells: FloatArray, deaths: FloatArray, coefficients: FloatArray, penalty: float
) -> float:
    """ℓ(β) = Σ_c [d_c·η_c − n_c·log(1 + e^η_c)] − (λ/2)·Σ_{j≠0} β_j² (shmi.md §10.4).

    Evaluated as −Σ_c [d_c·log(1 + e^−η_c) + (n_c − d_c)·log(1 + e^η_c)], the same quantity written without
    cancellation (every term ≤ 0), with log(1 + e^x) as ``logaddexp(0, x)``.
    """
    eta = design.matvec(coefficients)
    terms = deaths * np.logaddexp(0.0, -eta) + (spells - deaths) * np.logaddexp(0.0, eta)
    value = -float(np.sum(terms))
    if penalty:
        value -= 0.5 * penalty * float(np.sum(coefficients[1:] ** 2))
    return value


def information_matrix(design: DesignOperator, spells: FloatArray, eta: FloatArray, penalty: float) -> FloatArray:
    """H = Xᵀ diag(n∘p∘(1−p)) X + λP (shmi.md §10.4), p(1−p) as expit(η)·expit(−η) (no cancellation)."""
    information = design.weighted_gram(spells * special.expit(eta) * special.expit(-eta))
    if penalty:
        diagonal = np.arange(1, information.shape[0])
        information[diagonal, diagonal] += penalty
    return information


def _cholesky(matrix: FloatArray) -> FloatArray | None:
    """Lower Cholesky factor (LAPACK ``potrf``), None when the matrix is not finite positive definite."""
    if not np.all(np.isfinite(matrix)):
        return None
    factor, info = lapack.dpotrf(matrix, lower=1, clean=1)
    if info != 0 or not np.all(np.isfinite(np.diag(factor))):
        return None
    return factor  # type: ignore[no-any-return]


def take_halved_step(
    design: DesignOperator,
    spells: FloatArray,
    deaths: FloatArray,
    penalty: float,
    coefficients: FloatArray,
    log_likelihood: float,
    step: FloatArray,
) -> HalvedStep:
    """β + t·δ for t = 1, 1/2, 1/4, … : halve (at most 30 times) while ℓ falls by more than 1e-12·|ℓ|.

    If ℓ still falls after 30 halvings the step fails (``coefficients`` None). A non-finite ℓ counts as a
    fall (shmi.md §10.4).
    """
    allowed_fall = STEP_FALL_TOLERANCE * abs(log_likelihood)
    scale = 1.0
    for halvings in range(MAX_STEP_HALVINGS + 1):
        candidate = coefficients + scale * step
        objective = penalised_log_likelihood(design, spells, deaths, candidate, penalty)
        if math.isfinite(objective) and objective >= log_likelihood - allowed_fall:
            return HalvedStep(candidate, objective, halvings)
        scale *= 0.5
    return HalvedStep(None, math.nan, MAX_STEP_HALVINGS)


def stopping_rule_met(previous: float, current: float) -> bool:
    """|ℓ_new − ℓ_old| ≤ 1e-10·(|ℓ_new| + 0.1) (shmi.md §10.4)."""
    return abs(current - previous) <= STOPPING_TOLERANCE * (abs(current) + STOPPING_OFFSET)


def newton_raphson(
    design: DesignOperator,
    spells: FloatArray,
    deaths: FloatArray,
    *,
    penalty: float,
    max_iterations: int,
) -> NewtonOutcome:
    """Newton-Raphson of shmi.md §10.4 from the start values: score u = Xᵀ(d − n∘p) − λPβ, information H,
    Hδ = u solved by Cholesky, step halving, and the stopping rule, for at most ``max_iterations``."""
    beta = start_values(design.column_count, math.fsum(spells.tolist()), math.fsum(deaths.tolist()))
    objective = penalised_log_likelihood(design, spells, deaths, beta, penalty)
    objectives = [objective]
    penalised = np.ones(design.column_count)
    penalised[0] = 0.0

    def outcome(stopped: bool, failed: bool) -> NewtonOutcome:
        return NewtonOutcome(beta, objective, len(objectives) - 1, stopped, failed, tuple(objectives))

    if not math.isfinite(objective):
        return outcome(stopped=False, failed=True)
    for _iteration in range(max_iterations):
        eta = design.matvec(beta)
        residual = deaths * special.expit(-eta) - (spells - deaths) * special.expit(eta)  # d − n∘p, exactly
        score = design.rmatvec(residual) - penalty * penalised * beta
        factor = _cholesky(information_matrix(design, spells, eta, penalty))
        if factor is None or not np.all(np.isfinite(score)):
            return outcome(stopped=False, failed=True)
        step, info = lapack.dpotrs(factor, score, lower=1)
        if info != 0 or not np.all(np.isfinite(step)):
            return outcome(stopped=False, failed=True)
        halved = take_halved_step(design, spells, deaths, penalty, beta, objective, step)
        if halved.coefficients is None:
            return outcome(stopped=False, failed=True)
        previous = objective
        beta, objective = halved.coefficients, halved.log_likelihood
        objectives.append(objective)
        if stopping_rule_met(previous, objective):
            return outcome(stopped=True, failed=False)
    return outcome(stopped=False, failed=False)


def standard_errors(
    design: DesignOperator, spells: FloatArray, coefficients: FloatArray, penalty: float
) -> FloatArray | None:
    """√diag(H⁻¹), H at ``coefficients`` including λP (shmi.md §10.5); None when H has no Cholesky factor."""
    factor = _cholesky(information_matrix(design, spells, design.matvec(coefficients), penalty))
    if factor is None:
        return None
    inverse, info = lapack.dpotrs(factor, np.eye(factor.shape[0]), lower=1)
    variances = np.diag(inverse).copy()
    if info != 0 or not np.all(np.isfinite(variances)) or np.any(variances <= 0):
        return None
    return np.sqrt(variances)


def fit_logistic(
    design: npt.ArrayLike | DesignOperator, spells: npt.ArrayLike, deaths: npt.ArrayLike
) -> LogisticFit:
    """Maximum-likelihood logistic fit on grouped rows, by the two-stage rule of shmi.md §10.4.

    ``design`` (a matrix, or a :class:`DenseDesign` / :class:`CategoricalDesign`) has the intercept in column
    0, never penalised; rows carry ``spells`` trials and ``deaths`` events. Stage 1: λ = 0, at most 50
    iterations, accepted (``mle``) when the stopping rule is met, no step failed, every Cholesky
    factorisation (including the one for the standard errors) succeeded and every value is finite. Otherwise
    stage 2: λ = 1e-6 from the start values, at most 100 iterations (``ridge``), converged when the stopping
    rule is met; otherwise (100 iterations, or a step or a factorisation that fails) not converged, with the
    last accepted iterate. Needs 0 < Σdeaths < Σspells (degenerate groups: :func:`fit_group_model`).
    """
    operator = as_design_operator(design)
    n = np.asarray(spells, dtype=np.float64)
    d = np.asarray(deaths, dtype=np.float64)
    if n.shape != (operator.row_count,) or d.shape != n.shape:
        raise ValueError(
            f"spells and deaths need one value per design row ({operator.row_count}); got shapes "
            f"{n.shape}, {d.shape}"
        )
    total_spells, total_deaths = math.fsum(n.tolist()), math.fsum(d.tolist())
    if not 0 < total_deaths < total_spells:
        raise ValueError(f"a logistic fit needs 0 < deaths < spells, got {total_deaths} of {total_spells}")

    stage1 = newton_raphson(operator, n, d, penalty=0.0, max_iterations=STAGE1_MAX_ITERATIONS)
    if stage1.stopped and not stage1.failed and np.all(np.isfinite(stage1.coefficients)):
        errors = standard_errors(operator, n, stage1.coefficients, 0.0)
        if errors is not None:
            return LogisticFit(
                stage1.coefficients, errors, FitMethod.MLE, True, stage1.iterations, stage1.log_likelihood, 0.0
            )
    stage2 = newton_raphson(operator, n, d, penalty=RIDGE_PENALTY, max_iterations=STAGE2_MAX_ITERATIONS)
    errors = standard_errors(operator, n, stage2.coefficients, RIDGE_PENALTY)
    return LogisticFit(
        stage2.coefficients,
        errors,
        FitMethod.RIDGE,
        stage2.stopped and not stage2.failed,
        stage2.iterations,
        stage2.log_likelihood,
        RIDGE_PENALTY,
    )


# --- outputs of a fit (shmi.md §10.5) ----------------------------------------------------------------------


@dataclass(frozen=True)
class PredictorRow:
    """One row of the predict-statistics file (shmi.md §10.5, §16.6); None stands for an empty field."""

    variable: str
    level: int | None
    role: PredictorRole
    estimate: float
    standard_error: float | None
    wald_chi_square: float | None
    wald_df: int
    wald_p_value: float | None

    @property
    def name(self) -> str:
        """``Intercept`` or ``<VARIABLE>_<level>``."""
        return self.variable if self.level is None else f"{self.variable}_{self.level}"


def sort_predictor_rows_for_file(rows: Sequence[PredictorRow]) -> list[PredictorRow]:
    """Rows in the order of the model file: variable name case-insensitively, then level numerically (§16.6)."""
    return sorted(rows, key=lambda row: (row.variable.casefold(), -1 if row.level is None else row.level))


@dataclass(frozen=True, eq=False)
class LevelEffects:
    """The coefficient of each present level of one covariate (0 for the reference and aliased levels)."""

    levels: IntArray
    effects: FloatArray


@dataclass(frozen=True, eq=False)
class GroupModel:
    """One group's fitted model and its fit statistics (shmi.md §10.4, §10.5, §16.6).

    ``risks`` are aligned with the cells the model was fitted on. ``converged`` and ``iterations`` are None
    only for a group with no spells; ``c_statistic`` is None when D = 0 or S = 0. ``predictors`` are in
    design order (intercept, then covariates in design order, every present level ascending); use
    :func:`sort_predictor_rows_for_file` for the file order. Degenerate groups (FIT_METHOD ``none``) have no
    predictor rows, no aliased predictors, and no ``log_likelihood``, ``intercept`` or ``level_effects``.
    ``iterations`` counts the accepted Newton iterations of the reported stage (stage 2 alone under
    ``ridge``).
    """

    group: int
    covariates: tuple[Covariate, ...]
    spells: int | float
    deaths: int | float
    fit_method: FitMethod
    converged: bool | None
    iterations: int | None
    c_statistic: float | None
    aliased_predictors: tuple[str, ...]
    predictors: tuple[PredictorRow, ...]
    risks: FloatArray
    log_likelihood: float | None = None
    intercept: float | None = None
    level_effects: tuple[LevelEffects, ...] = field(default=())

    def predict(self, levels: npt.ArrayLike) -> FloatArray:
        """Risk p = 1/(1 + exp(−x·β)) for arbitrary rows of levels (one column per covariate, design order).

        A level absent from the group's data at fitting time (so without a coefficient) contributes 0, as a
        reference level does. The linear predictor is summed in a fixed order (intercept, then covariates in
        design order), so the risks of the fitted cells equal ``risks`` bit for bit. A degenerate group
        (``none``) predicts D/N everywhere; a group without spells has no model: it predicts zero rows and
        raises ModelFitError for any row.
        """
        rows = np.asarray(levels, dtype=np.int64)
        if rows.ndim != 2 or rows.shape[1] != len(self.covariates):
            raise ValueError(
                f"levels must be (rows x {len(self.covariates)} covariates), got shape {rows.shape}"
            )
        if self.spells == 0:
            if rows.shape[0] == 0:
                return np.zeros(0)
            raise ModelFitError(f"diagnosis group {self.group} has no spells, hence no model to predict from")
        if self.intercept is None:
            return np.full(rows.shape[0], float(self.deaths) / float(self.spells))
        return predict_risks(self.intercept, self.level_effects, rows)


def predict_risks(intercept: float, level_effects: Sequence[LevelEffects], rows: IntArray) -> FloatArray:
    """p = expit(η), η = intercept + the effect of each row's level of each covariate, added in covariate
    order; a level without an effect adds 0 (shmi.md §10.5)."""
    eta = np.full(rows.shape[0], intercept)
    for index, effects in enumerate(level_effects):
        column = rows[:, index]
        position = np.minimum(np.searchsorted(effects.levels, column), effects.levels.size - 1)
        found = effects.levels[position] == column
        eta = eta + np.where(found, effects.effects[position], 0.0)
    risks: FloatArray = special.expit(eta)
    return risks


def _predictor_rows(
    covariates: Sequence[Covariate], design: Design, fit: LogisticFit
) -> tuple[tuple[PredictorRow, ...], float, tuple[LevelEffects, ...]]:
    """Predictor rows (shmi.md §10.5) and the coefficient lookup used by :meth:`GroupModel.predict`.

    Kept columns: estimate β_j, SE √(H⁻¹)_jj, Wald (β_j/SE_j)², df 1, p the upper χ²₁ tail. Reference levels
    and aliased columns: estimate 0, df 0, other fields empty.
    """
    position = {(column.variable, column.level): j for j, column in enumerate(design.columns)}
    estimates = fit.coefficients
    errors = fit.standard_errors
    if errors is not None:
        with np.errstate(divide="ignore"):
            walds = np.where(errors > 0, (estimates / np.where(errors > 0, errors, 1.0)) ** 2, np.inf)
        p_values = stats.chi2.sf(walds, 1)

    def estimated_row(variable: str, level: int | None, role: PredictorRole) -> PredictorRow:
        j = position[(variable, level)]
        if errors is None:
            return PredictorRow(variable, level, role, float(estimates[j]), None, None, 1, None)
        return PredictorRow(
            variable, level, role, float(estimates[j]), float(errors[j]), float(walds[j]), 1, float(p_values[j])
        )

    rows = [estimated_row(INTERCEPT, None, PredictorRole.INTERCEPT)]
    lookups: list[LevelEffects] = []
    for covariate, levels, reference in zip(
        covariates, design.present_levels, design.reference_levels, strict=True
    ):
        effects = np.zeros(levels.size)
        for k, level in enumerate(levels.tolist()):
            if (covariate.name, level) in position:
                rows.append(estimated_row(covariate.name, level, PredictorRole.ESTIMATED))
                effects[k] = estimates[position[(covariate.name, level)]]
            else:
                role = PredictorRole.REFERENCE if level == reference else PredictorRole.ALIASED
                rows.append(PredictorRow(covariate.name, level, role, 0.0, None, None, 0, None))
        lookups.append(LevelEffects(levels, effects))
    return tuple(rows), float(estimates[position[(INTERCEPT, None)]]), tuple(lookups)


def fit_group_model(group: int, covariates: Sequence[Covariate], cells: Cells) -> GroupModel:
    """Fit one group's risk model on its cells (shmi.md §10.2-§10.5).

    N = 0: no model (``none``, counts 0, other statistics None). D = 0 or D = N: not fitted, every cell gets
    risk D/N (``none``, converged, 0 iterations, no predictor rows). Otherwise the design of §10.3 is fitted by
    :func:`fit_logistic` and the model carries risks per cell, predictor rows, the c statistic and the fit
    statistics of §16.6.
    """
    covariate_tuple = tuple(covariates)
    if cells.covariate_count != len(covariate_tuple):
        raise ValueError(
            f"group {group}: cells have {cells.covariate_count} covariate columns, "
            f"{len(covariate_tuple)} covariates given"
        )
    total_spells, total_deaths = cells.total_spells, cells.total_deaths
    if total_spells == 0:
        log.info("group %s: no spells, no model", group)
        return GroupModel(
            group, covariate_tuple, total_spells, total_deaths, FitMethod.NONE, None, None, None, (), (),
            np.zeros(0),
        )
    if total_deaths == 0 or total_deaths == total_spells:
        log.info("group %s: %s deaths in %s spells, not fitted (risk D/N)", group, total_deaths, total_spells)
        risk = float(total_deaths) / float(total_spells)
        risks = np.full(cells.cell_count, risk)
        risks.setflags(write=False)
        return GroupModel(
            group, covariate_tuple, total_spells, total_deaths, FitMethod.NONE, True, 0, None, (), (), risks
        )

    design = build_design(covariate_tuple, cells)
    fit = fit_logistic(design.operator, cells.spells, cells.deaths)
    predictors, intercept, lookups = _predictor_rows(covariate_tuple, design, fit)
    risks = predict_risks(intercept, lookups, cells.levels)
    risks.setflags(write=False)
    model = GroupModel(
        group=group,
        covariates=covariate_tuple,
        spells=total_spells,
        deaths=total_deaths,
        fit_method=fit.method,
        converged=fit.converged,
        iterations=fit.iterations,
        c_statistic=c_statistic(risks, deaths=cells.deaths, survivors=cells.survivors),
        aliased_predictors=tuple(column.name for column in design.aliased),
        predictors=predictors,
        risks=risks,
        log_likelihood=fit.log_likelihood,
        intercept=intercept,
        level_effects=lookups,
    )
    if fit.method is FitMethod.RIDGE:
        log.warning(
            "group %s: stage 1 failed, ridge fit %s after %d iterations",
            group, "converged" if fit.converged else "did NOT converge", fit.iterations,
        )
    else:
        log.debug("group %s: mle in %d iterations", group, fit.iterations)
    return model


def fit_models(
    cells_by_group: Mapping[int, Cells],
    groups: Sequence[int],
    covariates_of: Callable[[int], Sequence[Covariate]],
) -> dict[int, GroupModel]:
    """One model per group of ``groups`` (a group missing from ``cells_by_group`` has no spells)."""
    models: dict[int, GroupModel] = {}
    for group in groups:
        covariates = tuple(covariates_of(group))
        cells = cells_by_group.get(group)
        if cells is None:
            cells = aggregate_cells(np.zeros((0, len(covariates))), [], [], covariate_count=len(covariates))
        models[group] = fit_group_model(group, covariates, cells)
    return models


def fit_shmi_models(cells_by_group: Mapping[int, Cells]) -> dict[int, GroupModel]:
    """The 144 SHMI models (shmi.md §10), groups 1-144 with the covariates of §10.1."""
    return fit_models(cells_by_group, SHMI_GROUPS, shmi_covariates)


# --- model performance (statistics.md §5) ------------------------------------------------------------------


def _merge_equal_risks(
    risks: npt.ArrayLike, *counts: npt.ArrayLike
) -> tuple[FloatArray, list[FloatArray]]:
    """Distinct risk values ascending, with each count array summed over the cells at that value."""
    risk_array = np.asarray(risks, dtype=np.float64)
    arrays = [np.asarray(c, dtype=np.float64) for c in counts]
    if risk_array.ndim != 1 or any(a.shape != risk_array.shape for a in arrays):
        raise ValueError("risks and counts must be 1-D arrays of the same length")
    if not np.all(np.isfinite(risk_array)):
        raise ValueError("risks must be finite")
    if any(np.any(a < 0) or not np.all(np.isfinite(a)) for a in arrays):
        raise ValueError("counts must be finite and non-negative")
    values, inverse = np.unique(risk_array, return_inverse=True)
    inverse = inverse.reshape(-1)
    return values, [np.bincount(inverse, weights=a, minlength=values.size).astype(np.float64) for a in arrays]


def c_statistic(risks: npt.ArrayLike, *, deaths: npt.ArrayLike, survivors: npt.ArrayLike) -> float | None:
    """Area under the ROC curve from cells (statistics.md §5.1, shmi.md §10.5).

    Cells with equal risk merge; sorted ascending, c = Σ_v D_v·(S_<v + 0.5·S_v) / (D·S). None when D = 0 or
    S = 0; 0.5 for a single risk value; 1 under complete separation.
    """
    _values, (merged_deaths, merged_survivors) = _merge_equal_risks(risks, deaths, survivors)
    total_deaths = math.fsum(merged_deaths.tolist())
    total_survivors = math.fsum(merged_survivors.tolist())
    if total_deaths == 0 or total_survivors == 0:
        return None
    survivors_below = np.cumsum(merged_survivors) - merged_survivors
    concordant = math.fsum((merged_deaths * (survivors_below + 0.5 * merged_survivors)).tolist())
    return concordant / (total_deaths * total_survivors)


@dataclass(frozen=True)
class CalibrationRow:
    """One non-empty decile of risk (statistics.md §5.2); ``observed_to_expected`` None when E = 0."""

    decile: int
    spells: float
    observed: float
    expected: float
    observed_to_expected: float | None
    mean_risk: float


@dataclass(frozen=True)
class Calibration:
    """Decile table and Hosmer-Lemeshow test; the test fields are None when G ≤ 2 (statistics.md §5.2)."""

    rows: tuple[CalibrationRow, ...]
    hosmer_lemeshow: float | None
    degrees_of_freedom: int | None
    p_value: float | None


def assign_deciles(spells_sorted: FloatArray) -> IntArray:
    """Decile of each merged cell, in ascending risk order: g = min(10, ⌊10·(C + n/2)/N⌋ + 1), where C is the
    number of records in earlier cells (statistics.md §5.2). Computed as ⌊10·(2C + n) / 2N⌋ with an exact
    floor division."""
    total = math.fsum(spells_sorted.tolist())
    earlier = np.cumsum(spells_sorted) - spells_sorted
    deciles = np.floor_divide(10.0 * (2.0 * earlier + spells_sorted), 2.0 * total) + 1
    result: IntArray = np.minimum(10, deciles).astype(np.int64)
    return result


def calibration_by_decile(risks: npt.ArrayLike, *, spells: npt.ArrayLike, deaths: npt.ArrayLike) -> Calibration:
    """Calibration by deciles of risk and the Hosmer-Lemeshow statistic (statistics.md §5.2).

    Cells with equal risk merge and are never split. Per non-empty decile: n, O = Σd, E = Σn·p (math.fsum),
    O/E and mean risk E/n. HL = Σ (O − E)²/(E·(1 − E/n)) over the G non-empty deciles with 0 < E < n,
    df G − 2, p from χ²_{G−2}; not computed when G ≤ 2.
    """
    values, (merged_spells, merged_deaths) = _merge_equal_risks(risks, spells, deaths)
    nonzero = merged_spells > 0
    values, merged_spells, merged_deaths = values[nonzero], merged_spells[nonzero], merged_deaths[nonzero]
    if values.size == 0:
        return Calibration((), None, None, None)
    deciles = assign_deciles(merged_spells)
    rows: list[CalibrationRow] = []
    for decile in np.unique(deciles).tolist():
        members = deciles == decile
        n = math.fsum(merged_spells[members].tolist())
        observed = math.fsum(merged_deaths[members].tolist())
        expected = math.fsum((merged_spells[members] * values[members]).tolist())
        ratio = observed / expected if expected > 0 else None
        rows.append(CalibrationRow(int(decile), n, observed, expected, ratio, expected / n))
    terms = [
        (row.observed - row.expected) ** 2 / (row.expected * (1.0 - row.expected / row.spells))
        for row in rows
        if 0 < row.expected < row.spells
    ]
    if len(terms) <= 2:
        return Calibration(tuple(rows), None, None, None)
    statistic = math.fsum(terms)
    df = len(terms) - 2
    return Calibration(tuple(rows), statistic, df, float(stats.chi2.sf(statistic, df)))
