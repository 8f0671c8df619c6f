"""Collects problems with inputs so a run can go on and tell the user everything at the end."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from corpus.errors import InputProblem


@dataclass
class Reporter:
    """Receives :class:`InputProblem` s; prints each as one line (if ``echo``) and counts them."""

    echo: Callable[[str], None] | None = field(default=lambda line: print(line, file=sys.stderr))
    problems: list[InputProblem] = field(default_factory=list)
    max_kept: int = 10_000

    def __call__(self, problem: InputProblem) -> None:
        if len(self.problems) < self.max_kept:
            self.problems.append(problem)
        if self.echo is not None:
            self.echo(f"{problem.severity}: {problem}")

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")
