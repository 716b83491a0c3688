"""Finding and reading rule-set files: the shipped ones, the user's, and extra files.

* Shipped rule sets: ``core/rules/data/*.json`` (package data).
* User rule sets: ``*.json`` in :func:`user_rules_dir` (the platform config
  folder, or ``$OLIGOPLAN_CONFIG_DIR/rules``), read at every start.
* Extra files: ``--rules-file FILE`` on the command line.

A malformed file never stops the others: :func:`load_catalog` returns the
rule sets that were read and, separately, one :class:`RuleSetError` per bad
file (its message names the file, the field and the problem).
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable

from core.errors import RuleSetError
from core.rules.schema import RuleSet, rule_set_from_json

#: The shipped rule sets, in the order of docs/clinical-rules.md.
BUILTIN_IDS = (
    "sabr-comet", "sabr-comet-3", "sabr-comet-10", "estro-astro-2020", "eortc-lcg-nsclc-2019",
    "gomez-nsclc", "iyengar-nsclc", "nrg-lu002", "nrg-br002", "ea2183", "omec-2023", "stomp",
    "oriole", "nhs-cte", "crc-liver-limited", "bauml-pembro-nsclc",
)


def user_rules_dir() -> Path:
    """Where users drop their own rule-set files (platform config directory)."""
    base = os.environ.get("OLIGOPLAN_CONFIG_DIR")
    if base:
        return Path(base) / "rules"
    if os.name == "nt":
        root = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    else:
        root = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return root / "OligoPlan" / "rules"


def read_rule_set_file(path: str | os.PathLike, *, builtin: bool = False) -> RuleSet:
    """Read and validate one rule-set file; RuleSetError names the file and what is wrong."""
    path = Path(path)
    where = path.name if builtin else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleSetError(f"{where}: no such rule-set file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError(f"{where}: cannot be read ({exc})") from None
    return rule_set_from_text(text, where, builtin=builtin)


def rule_set_from_text(text: str, where: str, *, builtin: bool = False) -> RuleSet:
    def not_finite(token: str):  # NaN, Infinity, 1e999: a threshold that compares false (or != true) to all
        raise RuleSetError(f"{where}: {token} is not a finite number; write the number the protocol gives")

    def number(token: str) -> float:
        value = float(token)
        return value if math.isfinite(value) else not_finite(token)

    try:
        doc = json.loads(text, parse_constant=not_finite, parse_float=number)
    except json.JSONDecodeError as exc:
        raise RuleSetError(f"{where}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return rule_set_from_json(doc, where, builtin=builtin)


@dataclass
class Catalog:
    """The rule sets available, by id, and the files that could not be read."""

    rule_sets: dict[str, RuleSet] = field(default_factory=dict)
    errors: list[RuleSetError] = field(default_factory=list)

    def __getitem__(self, rule_id: str) -> RuleSet:
        try:
            return self.rule_sets[rule_id]
        except KeyError:
            raise RuleSetError(
                f"no rule set with id '{rule_id}'; available: {', '.join(self.rule_sets)} "
                "(`oligoplan rules` lists them)") from None

    def __iter__(self):
        return iter(self.rule_sets.values())

    def __len__(self) -> int:
        return len(self.rule_sets)

    def ids(self) -> list[str]:
        return list(self.rule_sets)

    def select(self, ids: Iterable[str] | None) -> list[RuleSet]:
        """The rule sets named (all when ``ids`` is None); RuleSetError for an unknown id."""
        if ids is None:
            return list(self.rule_sets.values())
        return [self[i] for i in ids]

    def add(self, rule_set: RuleSet) -> None:
        old = self.rule_sets.get(rule_set.id)
        if old is not None:
            raise RuleSetError(
                f"{rule_set.path}: id: '{rule_set.id}' is already used by "
                f"{'the shipped rule set' if old.builtin else old.path}; give your rule set its own id")
        self.rule_sets[rule_set.id] = rule_set


def builtin_files() -> list[Path]:
    folder = resources.files("core.rules") / "data"
    return [Path(str(folder / f"{rid}.json")) for rid in BUILTIN_IDS]


def load_catalog(extra_files: Iterable[str | os.PathLike] = (), user_dir: Path | None | bool = None) -> Catalog:
    """Every usable rule set: shipped, then the user folder, then ``extra_files``.

    ``user_dir``: None for :func:`user_rules_dir`, False to skip the user folder.
    """
    catalog = Catalog()
    for path in builtin_files():
        catalog.add(read_rule_set_file(path, builtin=True))  # a broken shipped file is a bug: raise
    paths: list[Path] = []
    if user_dir is not False:
        folder = user_rules_dir() if user_dir is None else Path(user_dir)
        if folder.is_dir():
            paths.extend(sorted(folder.glob("*.json")))
    paths.extend(Path(p) for p in extra_files)
    for path in paths:
        try:
            catalog.add(read_rule_set_file(path))
        except RuleSetError as exc:
            catalog.errors.append(exc)
    return catalog
