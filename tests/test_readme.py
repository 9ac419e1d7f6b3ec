"""Every code block of README.md runs as written.

- The ```python blocks run in order, in one namespace, in a subprocess with this environment's
  Python, from the repository root. A failure shows the traceback with README.md line numbers.
- Every ``sps-rules ...`` line of a ```sh block, and every ``$ sps-rules ...`` line of a
  ```console block, runs with this environment's ``sps-rules`` in a temporary copy of the
  repository's rules and examples, so commands that write files write there. The two set-up
  commands at the top (they create a virtualenv), other tools' commands and commands that start
  a server or open a browser are not run. Output belongs in a ```console or ```text block.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT

README = ROOT / "README.md"
BIN = Path(sys.executable).parent
SPS_RULES = BIN / "sps-rules"
#: Sub-commands that start a server or open a browser: documented, not run here.
LONG_RUNNING = {"serve", "service", "workbench", "open"}
#: How lines of sps-rules' output start: they belong in a ```console or ```text block.
SPS_RULES_OUTPUT = ("rules/", "PASS ", "FAIL ", "coverage ", "reproduced exactly", "NOT reproduced", "sps-rules: error")
#: How long one command may take; the whole file stays well under 30 s.
TIMEOUT = 60


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # README line of the first line of the block's content
    lines: tuple[str, ...]


def blocks(text: str) -> list[Block]:
    found: list[Block] = []
    fence = re.compile(r"^(```+)\s*([\w-]*)\s*$")
    current: tuple[str, str, int, list[str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        match = fence.match(line)
        if current is None:
            if match:
                current = (match.group(1), match.group(2), number + 1, [])
        elif match and match.group(1) == current[0] and not match.group(2):
            found.append(Block(current[1], current[2], tuple(current[3])))
            current = None
        else:
            current[3].append(line)
    assert current is None, f"README.md:{current[2] - 1}: code block is never closed"
    return found


@dataclass(frozen=True)
class Command:
    line: int
    text: str

    def __str__(self) -> str:
        return f"README.md:{self.line}"


def commands(found: list[Block]) -> tuple[list[Command], list[str]]:
    """The sps-rules commands to run, and the problems: lines of a sh block that are not commands."""
    runnable, problems = [], []
    for block in found:
        if block.lang not in ("sh", "console", "shell", "bash"):
            continue
        for offset, raw in enumerate(block.lines):
            number = block.line + offset
            line = raw.strip()
            if block.lang == "console":
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:].strip()
            if not line or line.startswith("#"):
                continue
            if not line.startswith("sps-rules "):
                # the set-up commands at the top, other tools (curl, pip), or output shown in a sh
                # block: output that looks like sps-rules' own is reported, the rest is not run
                if line.startswith(SPS_RULES_OUTPUT):
                    problems.append(f"README.md:{number}: output in a ```{block.lang} block (use ```console "
                                    f"with '$ ' before the command): {raw!r}")
                continue
            if line.split()[1] in LONG_RUNNING:
                continue
            runnable.append(Command(number, line))
    return runnable, problems


TEXT = README.read_text(encoding="utf-8")
BLOCKS = blocks(TEXT)
COMMANDS, PROBLEMS = commands(BLOCKS)


def test_readme_has_the_set_up_commands_first() -> None:
    first, second = BLOCKS[0], BLOCKS[1]
    assert first.lang == second.lang == "sh"
    assert "sps-rules evaluate roskilde examples/roskilde-citizen.json" in first.lines[0]
    assert "python -m pytest" in second.lines[0]


def test_no_output_in_sh_blocks() -> None:
    assert not PROBLEMS, "\n".join(PROBLEMS)


def test_python_blocks_run_in_order_in_one_namespace() -> None:
    python = [b for b in BLOCKS if b.lang == "python"]
    assert python, "README.md has no python block"
    runner = (
        "import json, sys\n"
        "namespace = {'__name__': '__readme__'}\n"
        "for first, code in json.load(sys.stdin):\n"
        "    exec(compile('\\n' * (first - 1) + code, 'README.md', 'exec'), namespace)\n"
    )
    payload = json.dumps([[b.line, "\n".join(b.lines) + "\n"] for b in python])
    result = subprocess.run([sys.executable, "-c", runner], input=payload, cwd=ROOT, capture_output=True,
                            text=True, timeout=TIMEOUT, check=False)
    where = re.findall(r'File "README.md", line (\d+)', result.stderr)
    assert result.returncode == 0, (
        f"README.md:{where[-1] if where else '?'}: the python block fails\n{result.stderr}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what the README's commands read; what they write lands here too."""
    root = tmp_path_factory.mktemp("readme")
    for name in ("rules", "examples"):
        shutil.copytree(ROOT / name, root / name)
    return root


@pytest.mark.parametrize("command", COMMANDS, ids=str)
def test_command_runs_as_written(command: Command, workdir: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    result = subprocess.run(["bash", "-c", f"set -o pipefail; {command.text}"], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 0, (
        f"{command}: `{command.text}` exited {result.returncode}\n{result.stderr[-2000:]}")


def test_commands_are_found() -> None:
    """The command test above cannot pass by finding nothing."""
    assert len(COMMANDS) >= 10
    assert SPS_RULES.exists() or shutil.which("sps-rules")
