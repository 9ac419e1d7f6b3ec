"""Cost of decision records: make, write, read, verify, sign; record schema 2 against schema 1.

    .venv/bin/python benchmarks/records.py [N]

Prints per-record milliseconds (median of N) and sizes. Not part of the timed test suite.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sps_rules
from sps_rules.audit.records import check_integrity, make_record, read_record

FACTS = json.loads((Path(__file__).resolve().parents[1] / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))


def v1_hash(document: dict[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def median_ms(n: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    ruleset = sps_rules.load_ruleset("roskilde")
    record = make_record(ruleset, FACTS)
    stored = record.to_json().encode()
    compact = json.dumps(record.document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    v1_style = json.dumps(record.document, indent=2, ensure_ascii=False, sort_keys=True).encode()
    print(f"record size: {len(stored):,} bytes as stored (schema 2, laid out); {len(v1_style):,} as schema 1 laid it out; "
          f"{len(compact):,} canonical")
    print(f"evaluate only:               {median_ms(n, lambda: ruleset.evaluate(FACTS)):7.2f} ms")
    print(f"make record (evaluate+hash): {median_ms(n, lambda: make_record(ruleset, FACTS)):7.2f} ms")
    print(f"to_json (canonical, laid out): {median_ms(n, record.to_json):5.2f} ms")
    print(f"schema 2 hash (RFC 8785):    {median_ms(n, record.content_sha256):7.2f} ms")
    print(f"schema 1 hash (json.dumps):  {median_ms(n, lambda: v1_hash(record.document)):7.2f} ms")
    print(f"read_record + integrity:     {median_ms(n, lambda: check_integrity(read_record(stored))):7.2f} ms")
    print(f"replay (re-evaluate + diff): {median_ms(n, lambda: sps_rules.replay(stored)):7.2f} ms")
    try:
        from sps_rules.audit.signing import load_private_key, load_public_key, new_keys
    except ImportError:  # pragma: no cover
        return
    with tempfile.TemporaryDirectory() as folder:
        private, public, _ = new_keys(Path(folder))
        key, pub = load_private_key(private), load_public_key(public)
        signed = make_record(ruleset, FACTS, sign_key=key)
        raw = signed.to_json().encode()
        print(f"make signed record:          {median_ms(n, lambda: make_record(ruleset, FACTS, sign_key=key)):7.2f} ms")
        print(f"read + verify signature:     {median_ms(n, lambda: check_integrity(read_record(raw), pub)):7.2f} ms")


if __name__ == "__main__":
    main()
