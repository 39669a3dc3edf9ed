"""The web dashboard and JSON API (FastAPI): :func:`create_app` for one results store; ``hospmort serve``."""

from hospmort.web.app import create_app

__all__ = ["create_app"]
