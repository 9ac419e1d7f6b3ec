"""Populations in and decisions out, as JSON Lines or Parquet.

A population is a table of citizen facts: JSON Lines (one object per line) or Parquet (one row per
citizen; nested facts such as ``function_levels`` as struct columns, ``needs`` and ``requests`` as list
columns; a null cell is an unknown fact). Either way the engine sees each citizen as the JSON text of its
facts, numbered from 1 in file order, so a bad row is reported by its number as a bad line is.

Decisions go out as JSON Lines (``{"line": N, "decision": {...}}``), or as Parquet with the decision
flattened to columns beside the whole decision as JSON.
"""

from __future__ import annotations

import json
from datetime import date
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ..model.errors import SpsRulesError
from ..model.facts import THEMES, VOCABULARY, CitizenFacts, FactKind

#: Rows read from or written to a Parquet file at a time.
PARQUET_BATCH = 1024
#: Columns of a decisions table, besides ``decision`` (the whole decision as JSON).
DECISION_COLUMNS = ("line", "ruleset_id", "ruleset_version", "eligibility", "missing_facts",
                    "support_forms", "exclusions", "referrals", "next_deadline", "next_deadline_kind")


def is_parquet(path: str | Path) -> bool:
    return str(path).lower().endswith((".parquet", ".pq"))


def _pyarrow() -> Any:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise SpsRulesError("Parquet needs pyarrow: pip install 'sps-rules[dask]'") from None
    return pyarrow


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def parquet_lines(path: str | Path) -> Iterator[str]:
    """Each row of a Parquet population as the JSON text of its facts (null cells left out)."""
    pa = _pyarrow()
    try:
        reader = pa.parquet.ParquetFile(str(path))
    except (OSError, pa.ArrowException) as exc:
        raise SpsRulesError(f"{path}: cannot read the Parquet file: {type(exc).__name__}") from None
    for batch in reader.iter_batches(batch_size=PARQUET_BATCH):
        for row in batch.to_pylist():
            yield json.dumps(_drop_nulls(row), default=_date_text, ensure_ascii=False)


def _date_text(value: Any) -> str:
    iso = getattr(value, "isoformat", None)
    if iso is None:
        raise TypeError(type(value).__name__)
    return str(iso())


def decision_row(line: int, decision: dict[str, Any]) -> dict[str, Any]:
    """The flat columns of one decision (see ``DECISION_COLUMNS``)."""
    permitted = [f["form"] for f in decision["support_forms"] if f.get("status") != "not_permitted"]
    due = sorted((d["due"], d["kind"]) for d in decision["deadlines"] if d.get("due"))
    return {
        "line": line,
        "ruleset_id": decision["ruleset"]["id"],
        "ruleset_version": decision["ruleset"]["version"],
        "eligibility": decision["eligibility"],
        "missing_facts": list(decision["missing_facts"]),
        "support_forms": permitted,
        "exclusions": [e["request"] for e in decision["exclusions"]],
        "referrals": [r["to"] for r in decision["referrals"]],
        "next_deadline": due[0][0] if due else None,
        "next_deadline_kind": due[0][1] if due else None,
    }


class ParquetSink:
    """Takes output lines as ``batch`` writes them and writes a Parquet table of decisions.

    Used as a sink of output lines (``write(line)``, UTF-8), so ``batch`` and the Dask backend need
    not know the format.
    """

    def __init__(self, target: str | Path | IO[bytes]):
        self._pa = _pyarrow()
        pa = self._pa
        strings = pa.list_(pa.string())
        self._schema = pa.schema([
            ("line", pa.int64()), ("ruleset_id", pa.string()), ("ruleset_version", pa.string()),
            ("eligibility", pa.string()), ("missing_facts", strings), ("support_forms", strings),
            ("exclusions", strings), ("referrals", strings), ("next_deadline", pa.string()),
            ("next_deadline_kind", pa.string()), ("decision", pa.string()),
        ])
        where = str(target) if isinstance(target, (str, Path)) else target
        self._writer = pa.parquet.ParquetWriter(where, self._schema)
        self._closed = False
        self._rows: list[dict[str, Any]] = []

    def write(self, data: bytes) -> int:
        for line in data.splitlines():
            if not line:
                continue
            item = orjson.loads(line)
            decision = item["decision"]
            row = decision_row(item["line"], decision)
            row["decision"] = orjson.dumps(decision).decode("utf-8")
            self._rows.append(row)
        if len(self._rows) >= PARQUET_BATCH:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        if not self._closed:
            self.flush()
            self._writer.close()
            self._closed = True

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def population_schema() -> Any:
    """The Arrow schema of a population table: one column per CitizenFacts field."""
    pa = _pyarrow()
    levels = pa.struct([(theme, pa.int8()) for theme in THEMES])
    types = {FactKind.BOOL: pa.bool_(), FactKind.LEVEL: pa.int8(), FactKind.INT: pa.int64(),
             FactKind.DATE: pa.date32(), FactKind.SLUG: pa.string(), FactKind.CODES: pa.list_(pa.string())}
    fields = []
    for name in CitizenFacts.model_fields:
        if name == "function_levels":
            fields.append((name, levels))
        else:
            fields.append((name, types[VOCABULARY[name].kind]))
    return pa.schema(fields)


def write_population_parquet(rows: list[dict[str, Any]], path: str | Path) -> None:
    """A population table from facts dicts (JSON form, dates as ISO text): one row per citizen."""
    pa = _pyarrow()
    schema = population_schema()
    dated = [n for n in CitizenFacts.model_fields if n in VOCABULARY and VOCABULARY[n].kind is FactKind.DATE]
    table_rows = []
    for row in rows:
        out = dict(row)
        for name in dated:
            if isinstance(out.get(name), str):
                out[name] = date.fromisoformat(out[name])
        table_rows.append(out)
    pa.parquet.write_table(pa.Table.from_pylist(table_rows, schema=schema), str(path))
