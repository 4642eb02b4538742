"""Seller Studio: capture, compose, stream and run a live-shopping show."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seller-studio")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
