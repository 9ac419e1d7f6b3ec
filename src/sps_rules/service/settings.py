"""The service's settings: one pydantic model, filled by ``sps-rules serve`` or by a caller of ``create_app``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..model.errors import SpsRulesError
from ..model.io import read_bounded

MAX_KEY_FILE_BYTES = 100_000
MIN_KEY_LENGTH = 16


class Settings(BaseModel):
    """How the service runs. Every field has a safe default; ``rules_dir=None`` serves the shipped rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules_dir: Path | None = Field(default=None, description="Folder of rule sets (default: the shipped rules).")
    record_store: Path | None = Field(default=None, description="SQLite decision log; every decision is stored.")
    api_keys: tuple[str, ...] = Field(default=(), description="Accepted API keys; empty: no key needed.")
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=50_000_000)
    max_depth: int = Field(default=32, ge=4, le=1_000)
    time_limit: float = Field(default=30.0, gt=0, le=3_600, description="Seconds one request may take.")
    max_diff_population: int = Field(default=5_000, ge=1, le=100_000)

    @field_validator("api_keys")
    @classmethod
    def _long_enough(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for number, key in enumerate(keys, 1):
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(f"API key {number} is shorter than {MIN_KEY_LENGTH} characters")
        return keys


def read_api_keys(path: Path | str) -> tuple[str, ...]:
    """The keys in a key file: one a line; blank lines and lines starting with ``#`` are skipped."""
    raw = read_bounded(path, MAX_KEY_FILE_BYTES, what="API key file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpsRulesError(f"{path}: the API key file is not UTF-8 text") from None
    keys = tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    if not keys:
        raise SpsRulesError(f"{path}: the API key file holds no keys (one key a line)")
    for number, key in enumerate(keys, 1):
        if len(key) < MIN_KEY_LENGTH:
            raise SpsRulesError(f"{path}: key {number} is shorter than {MIN_KEY_LENGTH} characters")
    return keys
