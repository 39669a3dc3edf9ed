"""Baskets (hsmr.md §5.2, §5.3): the 80% rule, its edge cases, basket files and their rejections."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hospmort.errors import InputDataError
from hospmort.hsmr.basket import (
    MAIN_BASKET,
    Basket,
    BasketSource,
    choose_baskets,
    derive_basket,
    modelled_categories,
    read_basket_file,
)


def _file_baskets(baskets: list[tuple[str, tuple[int, ...]]]) -> tuple[Basket, ...]:
    return tuple(Basket(basket_id, categories, BasketSource.FILE) for basket_id, categories in baskets)


def test_the_shortest_run_reaching_80_percent_is_the_basket() -> None:
    # D = 100: 50 + 30 = 80 reaches 5*80 >= 4*100 exactly, so the third category is left out
    basket = derive_basket({1: 50, 2: 30, 3: 20})
    assert basket.categories == (1, 2)
    assert basket.source is BasketSource.DERIVED and basket.basket_id == MAIN_BASKET


def test_one_death_short_of_80_percent_takes_the_next_category() -> None:
    basket = derive_basket({1: 50, 2: 29, 3: 21})
    assert basket.categories == (1, 2, 3)


def test_ties_are_broken_by_category_number() -> None:
    basket = derive_basket({7: 40, 3: 40, 5: 20})
    assert basket.categories == (3, 7)


def test_category_999_counts_in_the_denominator_but_is_never_in_the_basket() -> None:
    # D = 100 with 999 the largest: the other categories need 80 deaths between them
    basket = derive_basket({999: 15, 4: 60, 5: 20, 6: 5})
    assert basket.categories == (4, 5)
    assert 999 not in basket.categories
    assert basket.total_deaths == 100


def test_when_all_categories_fall_short_the_basket_is_every_category_with_a_death(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        basket = derive_basket({999: 30, 1: 40, 2: 30, 3: 0})
    assert basket.categories == (1, 2)
    assert "below 80%" in caplog.text


def test_no_death_at_all_cannot_give_a_basket() -> None:
    with pytest.raises(InputDataError, match="no in-hospital death"):
        derive_basket({1: 0, 2: 0})


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_basket_file_gives_one_basket_per_id_in_order_and_ignores_other_columns(tmp_path: Path) -> None:
    baskets = read_basket_file(_write(tmp_path / "b.csv", "BASKET_ID,CCS_CATEGORY,NOTE\n"
                                      "CARDIAC,100,x\nCARDIAC,101,\nHSMR,122,\nHSMR,900,\nCARDIAC,108,\n"))
    assert [(b.basket_id, b.categories, b.source) for b in baskets] == [
        ("CARDIAC", (100, 101, 108), BasketSource.FILE), ("HSMR", (122, 900), BasketSource.FILE)]


@pytest.mark.parametrize(("body", "row", "message"), [
    ("HSMR,0\n", 2, "not an integer 1-260 or 900"),
    ("HSMR,261\n", 2, "not an integer"),
    ("HSMR,999\n", 2, "not an integer"),
    ("HSMR,122\nHSMR,abc\n", 3, "not an integer"),
    ("HSMR,12.5\n", 2, "not an integer"),
    ("HSMR,122\nHSMR,\n", 3, "not an integer"),
    ("HSMR,122\nOTHER,122\nHSMR,122\n", 4, "repeats within basket 'HSMR'"),
    (",122\n", 2, "empty BASKET_ID"),
])
def test_a_basket_file_is_rejected_naming_the_row(tmp_path: Path, body: str, row: int, message: str) -> None:
    path = _write(tmp_path / "b.csv", "BASKET_ID,CCS_CATEGORY\n" + body)
    with pytest.raises(InputDataError, match=message) as caught:
        read_basket_file(path)
    assert f"row {row}" in str(caught.value)
    assert caught.value.rule == "BASKET_FILE"


def test_a_basket_file_without_a_basket_or_a_column_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="holds no basket"):
        read_basket_file(_write(tmp_path / "empty.csv", "BASKET_ID,CCS_CATEGORY\n"))
    with pytest.raises(InputDataError, match="CCS_CATEGORY missing"):
        read_basket_file(_write(tmp_path / "column.csv", "BASKET_ID,CATEGORY\nHSMR,122\n"))
    with pytest.raises(InputDataError, match="cannot be read"):
        read_basket_file(tmp_path / "absent.csv")


def test_a_file_with_an_hsmr_basket_is_used_unchanged() -> None:
    file_baskets = _file_baskets([("HSMR", (5, 6)), ("OTHER", (7,))])
    chosen = choose_baskets(file_baskets, {1: 1000})
    assert [(b.basket_id, b.categories) for b in chosen] == [("HSMR", (5, 6)), ("OTHER", (7,))]
    assert modelled_categories(chosen) == (5, 6, 7)


def test_a_file_without_an_hsmr_basket_adds_its_baskets_to_the_derived_one() -> None:
    chosen = choose_baskets(_file_baskets([("OTHER", (7, 1))]), {1: 90, 2: 10})
    assert [(b.basket_id, b.categories, b.source) for b in chosen] == [
        ("HSMR", (1,), BasketSource.DERIVED), ("OTHER", (7, 1), BasketSource.FILE)]
    assert modelled_categories(chosen) == (1, 7)
