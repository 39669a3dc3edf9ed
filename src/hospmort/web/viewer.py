"""Who is looking, and the one decision that follows from it: raw or disclosed, row by row (shmi.md §15).

Until named users exist (issue 8) every request is anonymous: every organisation's figures are shown
disclosure-controlled and national rows unsuppressed. Issue 8 plugs users in by giving :func:`create_app` a
``viewer_resolver`` that returns the signed-in :class:`Viewer` (a trust's staff see their own rows
unsuppressed); nothing else in the web layer needs to change, because every row passes through
:func:`view_for_row`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from hospmort.disclosure import View, choose_view


@dataclass(frozen=True)
class Viewer:
    """The person asking: anonymous (``provider_code`` None) or a member of one trust's staff."""

    provider_code: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.provider_code is None

    def describe(self) -> str:
        return "anonymous (public view)" if self.anonymous else f"staff of {self.provider_code}"


ANONYMOUS = Viewer()

#: How the app learns who is asking: a function of the request.
ViewerResolver = Callable[[Request], Viewer]


def resolve_anonymous_viewer(_request: Request) -> Viewer:
    """Every request is anonymous until issue 8 adds users."""
    return ANONYMOUS


def view_for_row(viewer: Viewer, row_provider_code: str) -> View:
    """THE decision of the dashboard: the view (unsuppressed or disclosed) of one row for one viewer (§15).

    A viewer's own trust rows and national rows (``ENG``) are unsuppressed; every other organisation's are
    disclosed. A site row or a (trust, group) row is passed with its trust's code.
    """
    return choose_view(viewer.provider_code, row_provider_code)
