"""The ``heron`` group: every module's commands reachable, imported only when used."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

from click.testing import CliRunner

from heron.cli import MODULES, main


def test_the_lazy_table_names_every_command_of_every_module() -> None:
    listed = {
        command.name: module
        for module in set(MODULES.values())
        for command in importlib.import_module(f"heron.cli.{module}").COMMANDS
    }
    assert listed == MODULES


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert all(f"  {name} " in result.output for name in MODULES)


def test_running_one_command_imports_only_its_module() -> None:
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from heron.cli import main\n"
        "CliRunner().invoke(main, ['import', '--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('heron.cli.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = {name.removeprefix("heron.cli.") for name in ast.literal_eval(out.stdout)}
    assert "importing" in loaded
    assert not loaded & (set(MODULES.values()) - {"importing"})
