"""hospmort: the SHMI and HSMR hospital mortality indicators, computed in the open from HES data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hospmort")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
