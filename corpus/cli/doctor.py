"""`corpus doctor`: check the installation and say how to fix what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from corpus.cli.common import app, console

_MARK = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[bold red]FAIL[/]"}


@app.command()
def doctor(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder a build would write to.")] = Path("data"),
) -> None:
    """Check the installation: Punkt parameters, tokenizer, schemas, labellers, output folder, optional backends.

    Exit code 1 only when the core is broken (a build cannot work); missing optional backends are warnings.
    """
    from corpus.doctor import core_broken, run_checks

    checks = run_checks(out)
    for check in checks:
        line = f"{_MARK[check.status]} {escape(check.name)}: {escape(check.detail)}"
        if check.fix and check.status != "ok":
            line += f"\n       fix: {escape(check.fix)}"
        console.print(line, highlight=False, soft_wrap=True)
    if core_broken(checks):
        console.print("[bold red]core checks failed[/]: `corpus build` will not work until they are fixed")
        raise typer.Exit(1)
    missing = sum(1 for c in checks if c.status != "ok")
    console.print(f"[bold green]core ready[/]{f'; {missing} optional items missing' if missing else ''}")
