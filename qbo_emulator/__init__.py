"""A local emulator of the QuickBooks Online API v3 and Intuit OAuth 2.0 (README.md)."""

import tomllib
from importlib import metadata
from pathlib import Path


def _version() -> str:
    try:
        return metadata.version("qbo-emulator")
    except metadata.PackageNotFoundError:
        # A checkout put on sys.path without installing it: the version of its pyproject.toml.
        with (Path(__file__).parent / "pyproject.toml").open("rb") as project:
            return tomllib.load(project)["project"]["version"]


__version__ = _version()
