"""Signed decision records (issue 13 §4): keys new, evaluate --sign-key, replay/explain --verify-key."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import sps_rules
from sps_rules.audit.records import pretty, read_record, verify
from sps_rules.audit.signing import SigningError, load_private_key, new_keys
from sps_rules.cli import main
from sps_rules.model.canonical import canonical_json, canonical_sha256

from .conftest import ROOT

FACTS = ROOT / "examples" / "roskilde-citizen.json"


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    return new_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    return new_keys(tmp_path_factory.mktemp("other"))


@pytest.fixture(scope="module")
def signed(keys: tuple[Path, Path, str]) -> bytes:
    return sps_rules.record("roskilde", FACTS, sign_key=keys[0]).to_json().encode()


def resigned_elsewhere(data: dict[str, Any]) -> bytes:
    """Content edited and the record's sha256 recomputed; the signature kept as it was."""
    content = {k: v for k, v in data.items() if k not in ("record_sha256", "signature")}
    return pretty(canonical_json({**data, "record_sha256": canonical_sha256(content)}).decode()).encode()


def test_keys_new_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path: Path) -> None:
    code, out, err = cli("keys", "new", "--out", str(tmp_path))
    assert code == 0, err
    private, public = tmp_path / "sps-rules-signing.key", tmp_path / "sps-rules-signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert "fingerprint: SHA256:" in out
    before = private.read_bytes()
    code, _, err = cli("keys", "new", "--out", str(tmp_path))
    assert code == 2 and "never overwritten" in err
    assert private.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sps-rules-signing.key", "sps-rules-signing.pub"]


def test_keys_new_refuses_a_dangling_link_in_place_of_the_key(tmp_path: Path) -> None:
    (tmp_path / "sps-rules-signing.key").symlink_to(tmp_path / "elsewhere")
    code, _, err = cli("keys", "new", "--out", str(tmp_path))
    assert code == 2 and "never overwritten" in err and not (tmp_path / "elsewhere").exists()


def test_a_signed_record_replays_and_names_its_key(signed: bytes, keys: tuple[Path, Path, str]) -> None:
    fingerprint = keys[2]
    result = sps_rules.replay(signed, verify_key=keys[1])
    assert result.reproduced, result.report()
    assert f"signed by {fingerprint} (checked against the given key)" in result.report()
    assert f"signed by {fingerprint} (valid for the key the record carries" in sps_rules.replay(signed).report()
    assert json.loads(signed)["signature"]["key"] == fingerprint


def test_cli_sign_and_verify_end_to_end(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    record = tmp_path / "r.json"
    code, _, err = cli("evaluate", "roskilde", str(FACTS), "--record", str(record), "--sign-key", str(keys[0]))
    assert code == 0, err
    code, out, _ = cli("replay", str(record), "--verify-key", str(keys[1]))
    assert code == 0 and out.startswith("reproduced exactly") and f"signed by {keys[2]}" in out
    code, out, err = cli("explain", str(record), "--verify-key", str(keys[1]))
    assert code == 0 and "Resultat" in out, err


@pytest.mark.parametrize("change", [
    lambda d: d["decision"].__setitem__("eligibility", "not_eligible"),
    lambda d: d["facts"].__setitem__("support_need_level", 4),
    lambda d: d.__setitem__("created_at", "2026-03-02T10:00:00Z"),
    lambda d: d["dependencies"].__setitem__("holidays", "0.40"),
])
def test_content_changed_and_hash_recomputed_is_caught_by_the_signature(signed: bytes, keys: tuple[Path, Path, str],
                                                                       change: Any, tmp_path: Path) -> None:
    data = json.loads(signed)
    change(data)
    forged = resigned_elsewhere(data)
    for key in (None, keys[1]):
        result = sps_rules.replay(forged, verify_key=key)
        assert not result.reproduced
        assert "the signature does not match the record's content: it was altered after it was signed" in result.problems
        assert not any("own sha256" in p for p in result.problems)  # the hash alone would have passed
    with pytest.raises(sps_rules.RecordError, match="altered after it was signed"):
        sps_rules.explain(read_record(forged), verify_key=keys[1])
    path = tmp_path / "forged.json"
    path.write_bytes(forged)
    code, out, _ = cli("replay", str(path), "--verify-key", str(keys[1]))
    assert code == 1 and "altered after it was signed" in out


def test_a_record_re_signed_with_another_key_is_caught_with_the_verify_key(
        signed: bytes, keys: tuple[Path, Path, str], other_keys: tuple[Path, Path, str]) -> None:
    data = json.loads(signed)
    data["decision"]["eligibility"] = "not_eligible"
    data.pop("signature")
    unsigned = read_record(resigned_elsewhere(data))
    forged = sps_rules.audit.signing.sign(load_private_key(other_keys[0]), unsigned.signed_bytes())
    record = read_record(resigned_elsewhere({**data, "signature": forged}))
    assert verify(record).signed_by == other_keys[2]  # consistent in itself ...
    result = sps_rules.replay(record, verify_key=keys[1])  # ... but not the municipality's key
    assert f"the record was signed by {other_keys[2]}, not by the given key {keys[2]}" in result.problems


def test_a_swapped_public_key_in_the_signature_is_caught(signed: bytes, other_keys: tuple[Path, Path, str]) -> None:
    data = json.loads(signed)
    other = json.loads(sps_rules.record("roskilde", FACTS, sign_key=other_keys[0]).to_json())["signature"]
    data["signature"]["public_key"] = other["public_key"]
    problems = sps_rules.replay(resigned_elsewhere(data)).problems
    assert "the record's signature names a key other than the one it carries: it was altered" in problems


def test_a_stripped_signature_is_caught_when_a_key_is_required(signed: bytes, keys: tuple[Path, Path, str]) -> None:
    data = json.loads(signed)
    data.pop("signature")
    stripped = resigned_elsewhere(data)
    assert sps_rules.replay(stripped).report().endswith("; unsigned")
    result = sps_rules.replay(stripped, verify_key=keys[1])
    assert f"the record is unsigned, but it was to be verified with key {keys[2]}" in result.problems


def test_a_signature_that_is_not_base64_is_reported(signed: bytes) -> None:
    data = json.loads(signed)
    data["signature"]["value"] = "!!!" + data["signature"]["value"][3:]
    assert "the record's signature block is malformed" in sps_rules.replay(resigned_elsewhere(data)).problems
    data["signature"]["value"] = base64.b64encode(b"short").decode()
    assert any("altered after it was signed" in p for p in sps_rules.replay(resigned_elsewhere(data)).problems)


def test_a_private_key_others_can_read_is_refused(tmp_path: Path, keys: tuple[Path, Path, str]) -> None:
    loose = tmp_path / "loose.key"
    loose.write_bytes(keys[0].read_bytes())
    os.chmod(loose, 0o644)
    with pytest.raises(SigningError, match="chmod 600"):
        sps_rules.record("roskilde", FACTS, sign_key=loose)


@pytest.mark.parametrize("content", [b"", b"not a key", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"])
def test_a_bad_key_file_is_a_clear_error(tmp_path: Path, content: bytes, keys: tuple[Path, Path, str]) -> None:
    bad = tmp_path / "bad.key"
    bad.write_bytes(content)
    os.chmod(bad, 0o600)
    code, _, err = cli("evaluate", "roskilde", str(FACTS), "--record", str(tmp_path / "r.json"), "--sign-key", str(bad))
    assert code == 2 and "private key" in err and err.count("\n") == 1
    assert not (tmp_path / "r.json").exists()
    code, _, err = cli("replay", str(tmp_path / "r.json"), "--verify-key", str(bad))
    assert code == 2
    with pytest.raises(SigningError, match="not an Ed25519 public key|not a PEM public key"):
        sps_rules.replay(sps_rules.record("roskilde", FACTS), verify_key=keys[0].read_bytes())


def test_without_the_extra_the_error_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                keys: tuple[Path, Path, str]) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)  # import cryptography now raises ImportError
    with pytest.raises(SigningError, match=r"pip install 'sps-rules\[sign\]'"):
        sps_rules.record("roskilde", FACTS, sign_key=keys[0])
    code, _, err = cli("keys", "new", "--out", str(tmp_path))
    assert code == 2 and "pip install 'sps-rules[sign]'" in err and not any(tmp_path.iterdir())
    assert sps_rules.replay(sps_rules.record("roskilde", FACTS)).reproduced  # unsigned records need no extra


def test_sign_key_without_record_is_refused(keys: tuple[Path, Path, str]) -> None:
    code, _, err = cli("evaluate", "roskilde", str(FACTS), "--sign-key", str(keys[0]))
    assert code == 2 and "--record" in err


def test_keys_new_makes_a_missing_folder_only_its_owner_enters(tmp_path: Path) -> None:
    folder = tmp_path / "municipality" / "keys"
    code, _, err = cli("keys", "new", "--out", str(folder))
    assert code == 0, err
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / "sps-rules-signing.key").exists()


def test_verify_key_on_a_bare_decision_is_refused(keys: tuple[Path, Path, str]) -> None:
    decision = sps_rules.evaluate("roskilde", json.loads(FACTS.read_text(encoding="utf-8")))
    with pytest.raises(sps_rules.RecordError, match="carries no hash or signature"):
        sps_rules.explain(decision, verify_key=keys[1])
