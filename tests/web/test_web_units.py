"""Pure pieces of the web layer: the viewer decision, query parsing, peer-group input, table formatting."""

from __future__ import annotations

import pytest

from hospmort.disclosure import View
from hospmort.web.analysis import parse_groups
from hospmort.web.pages import format_cell
from hospmort.web.store_access import checked_peer_group
from hospmort.web.viewer import ANONYMOUS, Viewer, view_for_row


def test_an_anonymous_viewer_sees_every_trust_disclosed_and_england_unsuppressed() -> None:
    assert view_for_row(ANONYMOUS, "RAA") is View.DISCLOSED
    assert view_for_row(ANONYMOUS, "ENG") is View.UNSUPPRESSED


def test_a_trusts_staff_see_their_own_rows_unsuppressed_and_others_disclosed() -> None:
    staff = Viewer("RAA")
    assert view_for_row(staff, "RAA") is View.UNSUPPRESSED
    assert view_for_row(staff, "RBB") is View.DISCLOSED


def test_groups_are_read_from_repeated_or_comma_separated_values() -> None:
    assert parse_groups(["73,2", "101", " 2 "]) == (2, 73, 101)
    assert parse_groups([]) == ()
    for bad in ("0", "145", "x"):
        with pytest.raises(ValueError, match="1 to 144"):
            parse_groups([bad])


def test_a_peer_group_name_is_trimmed_and_codes_upper_cased_and_deduplicated() -> None:
    group = checked_peer_group("  North   west ", ["rbb", "RAA", "RBB", ""])
    assert (group.name, group.provider_codes) == ("North west", ("RAA", "RBB"))
    with pytest.raises(ValueError, match="at least 2 trusts"):
        checked_peer_group("Alone", ["RAA", "raa"])
    with pytest.raises(ValueError, match="at most 80"):
        checked_peer_group("x" * 81, ["RAA", "RBB"])


def test_table_cells_keep_suppression_and_show_ratios_to_4_and_hsmr_to_2_decimals() -> None:
    assert format_cell("*", "shmi") == "*"
    assert format_cell(None, "shmi") == ""
    assert format_cell(1.183, "shmi") == "1.1830"
    assert format_cell(105.7, "hsmr") == "105.70"
    assert format_cell(1, "banding") == "1 higher than expected"
    assert format_cell(250, "expected") == "250"
    assert format_cell(251.9, "expected") == "251.90"
