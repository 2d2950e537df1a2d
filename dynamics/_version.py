"""The package's version, read once from its installed metadata (the one source:
``pyproject.toml``)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("balancing-dynamics")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
