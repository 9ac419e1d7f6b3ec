"""Every dependency has a tested range, and constraints.txt pins the versions CI installs (issue 18 §2)."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            out[canonicalize_name(name)] = version.strip()
    return out


def test_every_runtime_dependency_has_an_upper_bound() -> None:
    for text in PROJECT["dependencies"]:
        spec = Requirement(text).specifier
        assert any(s.operator in ("<", "<=", "==", "~=") for s in spec), f"{text}: no upper bound"


def test_constraints_pin_every_dependency_inside_its_range() -> None:
    pinned = pins()
    wanted = list(PROJECT["dependencies"]) + [r for extra in PROJECT["optional-dependencies"].values() for r in extra]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"constraints.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), \
            f"constraints.txt pins {requirement.name}=={pinned[name]}, outside {requirement.specifier}"


def test_the_libraries_a_record_names_are_pinned() -> None:
    from sps_rules.audit.records import DEPENDENCIES

    assert {canonicalize_name(d) for d in DEPENDENCIES} | {"durable-rules"} <= set(pins())
