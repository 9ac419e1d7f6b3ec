"""Finding and caching rule-set versions: one compiled ``RuleSet`` per content hash, per process.

The versions of a rule set are looked up once and then kept while their files stay as they
were: each call checks the rule-set folder, the version files and the baselines they build on
with one ``stat`` each (the folder's own time changes when a file is added, removed or
renamed), instead of listing the folder and resolving every path again.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path

from ..model.decision import Decision
from ..model.errors import RuleSetNotFound, guarded
from .evaluator import Engine, FactsInput, RuleSet, coerce_facts
from .loaded import LoadedRuleSet
from .loader import ends, load_file, rules_root, ruleset_ids, select, versions

Stamp = tuple[tuple[str, int, int], ...]
_versions: dict[tuple[str | None, str, str | None],
                tuple[Stamp, list[LoadedRuleSet], list[tuple[LoadedRuleSet, date | None]]]] = {}
_root_cache: dict[str | None, Path] = {}

#: Rule sets kept ready, most recently used last; beyond this many the least recently used is
#: dropped (and rebuilt if asked for again), so loading draft after draft stays flat in memory.
MAX_CACHED_RULESETS = 64
_rulesets: OrderedDict[str, RuleSet] = OrderedDict()
_lock = threading.Lock()


def ruleset_for(loaded: LoadedRuleSet) -> RuleSet:
    """The compiled rule set for a loaded version, built once per content sha256."""
    with _lock:
        found = _rulesets.get(loaded.sha256)
        if found is None or found.loaded is not loaded:
            found = RuleSet(loaded)
            _rulesets[loaded.sha256] = found
        _rulesets.move_to_end(loaded.sha256)
        while len(_rulesets) > MAX_CACHED_RULESETS:
            _rulesets.popitem(last=False)
        return found


def _base(root: Path | str | None, env: str | None) -> Path:
    if root is not None:
        return Path(root)
    found = _root_cache.get(env)  # rules_root() reads SPS_RULES_PATH too; the packaged folder is looked up once
    if found is None:
        found = _root_cache[env] = rules_root()
    return found


def _stamp(paths: list[str]) -> Stamp | None:
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            return None
        out.append((path, st.st_mtime_ns, st.st_size))
    return tuple(out)


def cached_versions(ruleset_id: str, root: Path | str | None = None) -> list[LoadedRuleSet]:
    """``loader.versions``, kept while the rule set's folder, files and baselines are unchanged."""
    return _cached(ruleset_id, root)[0]


def _cached(ruleset_id: str, root: Path | str | None) -> tuple[list[LoadedRuleSet], list[tuple[LoadedRuleSet, date | None]]]:
    """The versions, and the released ones with their last days, kept while the files stay as they were."""
    env = os.environ.get("SPS_RULES_PATH") if root is None else None
    base = _base(root, env)
    key = (env, str(base), ruleset_id)
    hit = _versions.get(key)
    if hit is not None and _stamp([path for path, _, _ in hit[0]]) == hit[0]:
        return hit[1], hit[2]
    folder = str(base / ruleset_id)
    before = _stamp([folder])  # taken first: a change during loading is seen on the next call
    found = versions(ruleset_id, base)
    files = [folder]
    for loaded in found:
        item: LoadedRuleSet | None = loaded
        while item is not None:
            files.append(str(item.path))
            item = item.base
    stamp = _stamp(files)
    spans = ends(found)
    if before is not None and stamp is not None and stamp[0] == before[0]:
        with _lock:
            _versions[key] = (stamp, found, spans)
    return found, spans


@guarded("load_ruleset")
def load_ruleset(municipality: str, on: date | None = None, *, root: Path | str | None = None) -> RuleSet:
    """The version of a municipality's rule set that applies on ``on``.

    Takes a rule-set id (``"roskilde"``, ``"gentofte"``, ...), a ``date`` (None: the newest
    version) and optionally another ``root`` folder of rule sets. Returns the compiled
    ``RuleSet``, cached per process. Raises ``RuleSetNotFound`` (a ``LookupError``) if there is
    no such rule set or no version on that date, and ``RuleFileError`` if its files are invalid.

    >>> sps_rules.load_ruleset("gentofte", date(2016, 5, 10)).version
    '2014-06'
    """
    found, spans = _cached(municipality, root)
    if on is None:
        if not spans:
            raise RuleSetNotFound(f"rule set {municipality!r} has only drafts; release one first (sps-rules release)")
        return ruleset_for(spans[-1][0])
    for item, end in spans:
        if item.header.valid_from <= on and (end is None or on <= end):
            return ruleset_for(item)
    # none applies: the loader's own lookup raises RuleSetNotFound, naming the versions
    return ruleset_for(select(municipality, on, _base(root, os.environ.get("SPS_RULES_PATH") if root is None else None)))


@guarded("load_ruleset_file")
def load_ruleset_file(path: Path | str) -> RuleSet:
    """A rule set from one file, e.g. a draft a policy officer is editing.

    Takes the path of a rule file (its baseline and source texts are found beside it). Returns
    its ``RuleSet``. Raises ``RuleFileError`` (a ``ValueError``; ``.problems`` lists every
    problem as ``file:line:col``) if the file or its baseline is invalid.

    >>> sps_rules.load_ruleset_file("rules/roskilde/roskilde-2020-01.yaml").version
    '2020-01'
    """
    return ruleset_for(load_file(path))


@guarded("load_ruleset_version")
def load_ruleset_version(ruleset_id: str, version: str, *, root: Path | str | None = None) -> RuleSet:
    """Exactly the named version of a rule set (no date lookup).

    Takes a rule-set id and a version string. Returns its ``RuleSet``. Raises
    ``RuleSetNotFound`` (a ``LookupError``) if it does not exist, ``RuleFileError`` if its files
    are invalid.

    >>> sps_rules.load_ruleset_version("roskilde", "2020-01").id
    'roskilde'
    """
    for loaded in cached_versions(ruleset_id, root):
        if loaded.version == version:
            return ruleset_for(loaded)
    raise RuleSetNotFound(f"rule set {ruleset_id!r} has no version {version!r}")


@guarded("list_rulesets")
def list_rulesets(root: Path | str | None = None) -> list[RuleSet]:
    """Every version of every rule set, grouped by rule set, oldest version first.

    Takes optionally another ``root`` folder of rule sets. Returns a list of ``RuleSet``.
    Raises ``RuleFileError`` if a rule file is invalid.

    >>> [r.version for r in sps_rules.list_rulesets() if r.id == "gentofte"]
    ['2014-06', '2022-01']
    """
    base = Path(root) if root is not None else rules_root()
    return [ruleset_for(v) for rid in ruleset_ids(base) for v in versions(rid, base)]


@guarded("evaluate")
def evaluate(municipality: str, facts: FactsInput, *, root: Path | str | None = None,
             engine: Engine = "compiled") -> Decision:
    """The decision for one citizen under the version that applies on their assessment date.

    Takes a rule-set id and ``facts``: a ``CitizenFacts``, a mapping, JSON text
    (``str``/``bytes``) or a ``Path`` to a JSON file. Returns a ``Decision``. Raises
    ``FactsError`` (a ``ValueError``) for bad facts, ``RuleSetNotFound`` (a ``LookupError``)
    when no version applies, ``RuleFileError`` when the rule files are invalid.

    >>> sps_rules.evaluate("roskilde", {"assessment_date": "2026-03-02"}).eligibility
    'undetermined'
    >>> sps_rules.evaluate("roskilde", Path("examples/roskilde-citizen.json")).eligibility
    'eligible'
    """
    citizen = coerce_facts(facts)
    # the version is chosen by the assessment date, so it applies on it: no second check of the dates
    return load_ruleset(municipality, citizen.assessment_date, root=root).evaluate(citizen, check_dates=False,
                                                                                   engine=engine)
