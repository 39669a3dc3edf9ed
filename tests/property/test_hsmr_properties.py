"""Invariants of hsmr.md §11 on random inputs: the derived basket is the shortest prefix reaching 80% and never
holds 999 (§11.3); England scores 100 and the trusts' re-based expected deaths add up to England's deaths
(§11.5); the contributions add up to the gap (§11.6); banding agrees with the intervals and the funnel curves
(§11.7); sums per unit do not depend on row order (shmi.md §2.2)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from hospmort.hsmr.basket import derive_basket
from hospmort.hsmr.compare import HsmrTrustSums, ShmiCategorySums, compare_shmi_and_hsmr
from hospmort.hsmr.indicator import RecordSums, compute_hsmr, rebasing_factor, sum_by_unit
from hospmort.limits import ALPHA95, ALPHA998, exact_test_limits

categories = st.sampled_from([2, 19, 100, 108, 109, 122, 127, 159, 900, 999])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(categories, st.integers(0, 500), min_size=1).filter(lambda d: sum(d.values()) > 0))
def test_the_derived_basket_is_the_shortest_prefix_covering_80_percent(deaths: dict[int, int]) -> None:
    basket = derive_basket(deaths)
    total = sum(deaths.values())
    assert 999 not in basket.categories
    ordered = sorted((c for c in deaths if c != 999), key=lambda c: (-deaths[c], c))
    covered = sum(deaths[c] for c in basket.categories)
    if 5 * sum(deaths[c] for c in ordered) >= 4 * total:
        assert list(basket.categories) == ordered[:len(basket.categories)]
        assert 5 * covered >= 4 * total
        shorter = basket.categories[:-1]
        assert 5 * sum(deaths[c] for c in shorter) < 4 * total
    else:
        assert set(basket.categories) == {c for c in ordered if deaths[c] > 0}


trust_sums = st.lists(
    st.tuples(st.integers(0, 5000), st.floats(0.5, 3000.0)).map(
        lambda oe: RecordSums(max(oe[0], 30), oe[0], oe[1])),
    min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(trust_sums)
def test_england_scores_100_and_the_rebased_expected_deaths_add_up_to_its_deaths(trusts: list[RecordSums]) -> None:
    observed = sum(t.observed for t in trusts)
    expected = math.fsum(t.expected for t in trusts)
    factor = rebasing_factor(observed, expected)
    england = compute_hsmr(RecordSums(sum(t.records for t in trusts), observed, expected), factor)
    if observed > 0:
        assert england.expected_rounded == observed
        if england.eligible:
            assert england.value == 100.0
        rebased = math.fsum(compute_hsmr(t, factor).expected_rebased for t in trusts)
        assert abs(rebased - observed) <= 1e-9 * observed


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 3000), st.floats(7.5, 3000.0))
def test_banding_agrees_with_the_intervals_and_the_exact_test_funnel_curves(observed: int, expected: float) -> None:
    figures = compute_hsmr(RecordSums(1000, observed, expected), 1.0)
    if not figures.eligible:
        return
    e2 = figures.expected_rounded
    for band, lower, upper, alpha in ((figures.banding, figures.ll_998, figures.ul_998, ALPHA998),
                                      (figures.banding_95, figures.ll_95, figures.ul_95, ALPHA95)):
        assert lower is not None and upper is not None
        assert (band == 1) == (lower > 100.0)
        assert (band == 3) == (upper < 100.0)
        low_curve, high_curve = exact_test_limits(e2, alpha)
        assert (band == 1) == (observed > high_curve * e2)
        assert (band == 3) == (observed < low_curve * e2)


shmi_cells = st.builds(
    lambda spells, died, share, expected: ShmiCategorySums(spells, min(died, spells), min(share, died, spells),
                                                           expected),
    st.integers(1, 2000), st.integers(0, 300), st.integers(0, 300), st.floats(0.1, 400.0))
hsmr_trust = st.builds(lambda records, observed, e, enp, pal: HsmrTrustSums(records, min(observed, records), e, enp,
                                                                             min(pal, records)),
                       st.integers(1, 3000), st.integers(0, 300), st.floats(0.5, 400.0), st.floats(0.5, 400.0),
                       st.integers(0, 300))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["RA1", "RB2", "RC3", "RD4", "RE5"]),
                       st.tuples(st.dictionaries(st.sampled_from([1, 2, 3, 999]), shmi_cells, min_size=1),
                                 hsmr_trust), min_size=1),
       st.sets(st.sampled_from([1, 2, 3]), min_size=1))
def test_the_contributions_add_up_to_the_gap(trusts: dict[str, tuple[dict[int, ShmiCategorySums], HsmrTrustSums]],
                                             basket: set[int]) -> None:
    comparison = compare_shmi_and_hsmr({t: s for t, (s, _) in trusts.items()}, {t: h for t, (_, h) in trusts.items()},
                                       basket)
    for row in (*comparison.trusts.values(), comparison.england):
        steps = row.steps
        if steps is None:
            continue
        total = steps.post_discharge + steps.outside_basket + steps.palliative + steps.other_casemix
        assert abs(total - steps.gap) <= 1e-9 * max(1.0, abs(steps.shmi_x100), abs(steps.hsmr))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 50), st.integers(0, 50),
                          st.floats(0.0, 1.0)), min_size=1, max_size=60), st.randoms())
def test_sums_per_unit_do_not_depend_on_row_order(rows: list[tuple[str, int, int, float]], shuffler: object) -> None:
    rows = [(k, n, min(d, n), p) for k, n, d, p in rows]
    shuffled = list(rows)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]

    def sums(items: list[tuple[str, int, int, float]]) -> dict[str, RecordSums]:
        return sum_by_unit([k for k, *_ in items], [n for _, n, _, _ in items], [d for *_, d, _ in items],
                           [p for *_, p in items])

    assert sums(rows) == sums(shuffled)
