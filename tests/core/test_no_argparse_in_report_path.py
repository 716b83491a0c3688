"""Issue 15: the summary, the rules and the RT writers (and the typed options they are given) never
see the command line: no argparse import, no argparse.Namespace, no parameter called ``args``.
The command line (core/cli/) turns its Namespace into CheckOptions / ExportOptions first."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: the report path: what builds a verdict, a summary or a DICOM export from a case and its options
REPORT_PATH = [REPO / "core" / "summary", REPO / "core" / "rules", REPO / "core" / "rt",
               REPO / "core" / "check_options.py", REPO / "core" / "export_job.py"]


def _files() -> list[Path]:
    out = []
    for root in REPORT_PATH:
        out.extend(sorted(root.rglob("*.py")) if root.is_dir() else [root])
    return out


def command_line_uses(source: str, where: str) -> list[str]:
    """What in ``source`` ties it to the command line: argparse imports, the Namespace type, ``args`` parameters."""
    found = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] == "argparse"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "argparse":
            found.append(f"line {node.lineno}: from argparse import ...")
        elif isinstance(node, (ast.Name, ast.Attribute)) and getattr(node, "id", getattr(node, "attr", "")) == "Namespace":
            found.append(f"line {node.lineno}: Namespace")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
            found += [f"line {node.lineno}: parameter 'args'" for n in names if n == "args"]
    return found


def test_the_report_path_never_sees_the_command_line():
    files = _files()
    assert len(files) > 20  # the walk really found the packages
    offenders = {str(f.relative_to(REPO)): uses for f in files
                 if (uses := command_line_uses(f.read_text(encoding="utf-8"), str(f)))}
    assert offenders == {}


def test_the_check_catches_what_it_is_meant_to_catch():
    assert command_line_uses("import argparse\n", "x") == ["line 1: import argparse"]
    assert command_line_uses("from argparse import Namespace\n", "x") == ["line 1: from argparse import ..."]
    assert command_line_uses("def f(ns: 'x'): return ns.Namespace\n", "x") == ["line 1: Namespace"]
    assert command_line_uses("def check(args, case): pass\n", "x") == ["line 1: parameter 'args'"]
    assert command_line_uses("def check(options, case): return options.rule_ids\n", "x") == []
