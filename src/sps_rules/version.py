"""The engine version, recorded in every decision."""

__version__ = "0.1.0"
