"""The package is mypy-clean (strict) and ships py.typed and its JSON Schemas."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.skipif(shutil.which("mypy") is None and not (Path(sys.executable).parent / "mypy").exists(),
                    reason="mypy is in the [test] extra")
def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wheel_ships_rules_sources_schemas_and_py_typed(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        check=False, capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0 and "hatchling" in result.stderr:
        pytest.skip("hatchling is not installed in this environment")
    assert result.returncode == 0, result.stderr
    [wheel] = tmp_path.glob("sps_rules-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "sps_rules/py.typed" in names
    assert "sps_rules/schemas/ruleset.schema.json" in names
    assert "sps_rules/rules/roskilde/roskilde-2020-01.yaml" in names
    assert "sps_rules/rules/roskilde/source/roskilde-kvalitetsstandard-sps.txt" in names
    assert "sps_rules/rules/national/national-2021-08.yaml" in names
