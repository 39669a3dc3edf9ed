"""Baskets of CCS categories (hsmr.md §5.2, §5.3) and category labels (§5.1).

* :func:`derive_basket`: the default basket, the shortest run of categories by in-hospital deaths that covers
  at least 80% of them (5·C ≥ 4·D in integers).
* :func:`read_basket_file`: a user's basket file (``BASKET_ID, CCS_CATEGORY``), validated row by row.
* :func:`choose_baskets`: the baskets a publication uses: the file's, with the main basket ``HSMR`` derived
  when the file has none.
* :func:`category_labels`: the label of every category.

Pure functions over counts, except the two readers of files.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from hospmort.errors import InputDataError
from hospmort.hsmr.casemix import (
    COVID_CATEGORY,
    FIRST_CCS_CATEGORY,
    INVALID_CATEGORY,
    LAST_CCS_CATEGORY,
    category_label,
)
from hospmort.refdata import refdata_path
from hospmort.schema import BASKET_ID, CCS_CATEGORY

log = logging.getLogger(__name__)

#: The main basket, from which the HSMR itself is computed (hsmr.md §5.3).
MAIN_BASKET = "HSMR"
#: The coverage criterion of the derived basket: 5·C ≥ 4·D (at least 80% of in-hospital deaths, §5.2).
COVERAGE_NUMERATOR = 4
COVERAGE_DENOMINATOR = 5
BASKET_FILE_RULE = "BASKET_FILE"
BASKET_DERIVATION = "BASKET_DERIVATION"


class BasketSource(StrEnum):
    """``SOURCE`` of the basket file of a run (hsmr.md §10.5)."""

    DERIVED = "DERIVED"
    FILE = "FILE"


@dataclass(frozen=True)
class RankedCategory:
    """A category of a derived basket: its in-hospital deaths D_c, rank and cumulative share C/D (§5.2)."""

    category: int
    deaths: int
    rank: int
    cumulative_share: float


@dataclass(frozen=True)
class Basket:
    """A set of modelled categories, in the order given (derived: by rank; file: as read).

    ``ranked`` and ``total_deaths`` (D) are filled for a derived basket only.
    """

    basket_id: str
    categories: tuple[int, ...]
    source: BasketSource
    ranked: tuple[RankedCategory, ...] = ()
    total_deaths: int | None = None

    @property
    def category_set(self) -> frozenset[int]:
        return frozenset(self.categories)


def is_basket_category(category: int) -> bool:
    """A category a basket may hold: a CCS category 1-260 or 900 (COVID-19); never 999 (hsmr.md §5.1, §5.3)."""
    return FIRST_CCS_CATEGORY <= category <= LAST_CCS_CATEGORY or category == COVID_CATEGORY


def derive_basket(deaths_by_category: Mapping[int, int], basket_id: str = MAIN_BASKET) -> Basket:
    """The default basket of hsmr.md §5.2 from D_c, the in-hospital deaths of in-scope modelling-window CIPS per
    category (one per CIPS, 999 included).

    Categories other than 999 are sorted by D_c descending, ties by category ascending; the basket is the
    shortest leading run whose cumulative deaths C satisfy 5·C ≥ 4·D, D = Σ_c D_c. If the whole list falls
    short (999 holds over a fifth of the deaths), the basket is every category with D_c > 0 and a warning is
    logged. Raises InputDataError when there is no in-hospital death at all.
    """
    for category, deaths in deaths_by_category.items():
        if deaths < 0:
            raise ValueError(f"deaths of category {category} must not be negative, got {deaths}")
    total = sum(deaths_by_category.values())
    if total == 0:
        raise InputDataError(f"rule {BASKET_DERIVATION}: no in-hospital death among the in-scope CIPS of the "
                             "modelling window, so no basket can be derived", rule=BASKET_DERIVATION, count=0)
    ordered = sorted(((c, d) for c, d in deaths_by_category.items() if c != INVALID_CATEGORY),
                     key=lambda item: (-item[1], item[0]))
    ranked: list[RankedCategory] = []
    cumulative = 0
    for rank, (category, deaths) in enumerate(ordered, start=1):
        cumulative += deaths
        ranked.append(RankedCategory(category, deaths, rank, cumulative / total))
        if COVERAGE_DENOMINATOR * cumulative >= COVERAGE_NUMERATOR * total:
            break
    else:
        ranked = [r for r in ranked if r.deaths > 0]
        log.warning("the categories other than %d hold only %d of %d in-hospital deaths (below 80%%): the basket "
                    "is every category with a death (%d categories)", INVALID_CATEGORY, cumulative, total,
                    len(ranked))
    return Basket(basket_id, tuple(r.category for r in ranked), BasketSource.DERIVED, tuple(ranked), total)


def read_basket_file(path: Path) -> tuple[Basket, ...]:
    """The baskets of a basket file (hsmr.md §5.3): CSV with columns ``BASKET_ID, CCS_CATEGORY`` (others
    ignored), one basket per ``BASKET_ID``, in order of first appearance.

    Rejects the file (InputDataError naming the file, the row and the rule) when a column is missing, a
    ``BASKET_ID`` is empty, a category is not an integer 1-260 or 900, a category repeats within a basket, or
    the file holds no basket.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = [name.strip() for name in (reader.fieldnames or [])]
            rows = [{key.strip(): (value or "").strip() for key, value in row.items() if key is not None}
                    for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputDataError(f"{path}: rule FILE_UNREADABLE: the basket file cannot be read as CSV ({error})",
                             file=str(path), rule="FILE_UNREADABLE", count=1) from error
    missing = [name for name in (BASKET_ID, CCS_CATEGORY) if name not in fields]
    if missing:
        raise _rejected(path, None, f"column(s) {', '.join(missing)} missing", column=missing[0])
    members: dict[str, list[int]] = {}
    for line, row in enumerate(rows, start=2):
        basket_id = row.get(BASKET_ID, "")
        text = row.get(CCS_CATEGORY, "")
        if not basket_id:
            raise _rejected(path, line, "empty BASKET_ID", column=BASKET_ID)
        try:
            category = int(text)
        except ValueError:
            category = None
        if category is None or not is_basket_category(category):
            raise _rejected(path, line, f"CCS_CATEGORY {text!r} is not an integer 1-{LAST_CCS_CATEGORY} or "
                            f"{COVID_CATEGORY}", column=CCS_CATEGORY)
        chosen = members.setdefault(basket_id, [])
        if category in chosen:
            raise _rejected(path, line, f"CCS_CATEGORY {category} repeats within basket {basket_id!r}",
                            column=CCS_CATEGORY)
        chosen.append(category)
    if not members:
        raise _rejected(path, None, "the file holds no basket (every basket must have at least one category)")
    return tuple(Basket(basket_id, tuple(categories), BasketSource.FILE) for basket_id, categories in members.items())


def _rejected(path: Path, line: int | None, detail: str, column: str | None = None) -> InputDataError:
    where = f"{path}" + (f", row {line}" if line is not None else "")
    return InputDataError(f"{where}: rule {BASKET_FILE_RULE}: basket file rejected: {detail}", file=str(path),
                          column=column, rule=BASKET_FILE_RULE, count=1)


def choose_baskets(file_baskets: Sequence[Basket], deaths_by_category: Mapping[int, int]) -> tuple[Basket, ...]:
    """The baskets of a publication (hsmr.md §5.3), main basket first.

    Without a basket file, the derived main basket alone. With one, its baskets unchanged; when it has no
    ``HSMR`` basket, the main basket is derived (§5.2) and the file's baskets are additional baskets.
    """
    main = next((b for b in file_baskets if b.basket_id == MAIN_BASKET), None)
    others = tuple(b for b in file_baskets if b.basket_id != MAIN_BASKET)
    if main is None:
        main = derive_basket(deaths_by_category)
    return (main, *others)


def modelled_categories(baskets: Iterable[Basket]) -> tuple[int, ...]:
    """The modelled categories (hsmr.md §5.3): every category of any basket of the run, ascending."""
    return tuple(sorted({category for basket in baskets for category in basket.categories}))


@cache
def category_labels() -> dict[int, str]:
    """Label of every HSMR category (hsmr.md §5.1): 1-260 from the 2015 CCS list, the SHMI group description
    for the categories that list lacks (65-75, 150, 260), ``COVID-19`` (900), ``Invalid primary diagnosis``
    (999)."""
    with refdata_path("ccs", "ccs_single_level_dx_categories_icd9cm_2015.csv").open(
            newline="", encoding="utf-8-sig") as handle:
        ccs_names = {int(row["ccs_category"]): row["ccs_category_name"].strip() for row in csv.DictReader(handle)}
    group_descriptions: dict[int, str] = {}
    with refdata_path("shmi", "shmi_diagnosis_groups.csv").open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            for part in row["ccs_categories"].split(","):
                if part.strip():
                    group_descriptions.setdefault(int(part), row["description"].strip())
    categories = (*range(FIRST_CCS_CATEGORY, LAST_CCS_CATEGORY + 1), COVID_CATEGORY, INVALID_CATEGORY)
    return {c: category_label(c, ccs_names, group_descriptions) for c in categories}
