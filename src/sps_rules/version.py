"""The engine version, recorded in every decision."""

__version__ = "0.3.0"
