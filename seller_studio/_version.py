"""The version, in one place: pyproject.toml reads it from here at build time, and the app reads it
without importlib.metadata (40 ms of start-up for every command)."""

__version__ = "0.1.0"
