"""Collects problems with inputs so a run can go on and tell the user everything at the end."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from corpus.errors import InputProblem


@dataclass
class Reporter:
    """Receives :class:`InputProblem` s; prints each as one line (if ``echo``) and counts them.

    Every problem is counted, but only the first ``max_kept`` are kept (a feed of a million syndicated copies
    reports a million near duplicates: memory must not grow with them).
    """

    echo: Callable[[str], None] | None = field(default=lambda line: print(line, file=sys.stderr))
    problems: list[InputProblem] = field(default_factory=list)
    max_kept: int = 1_000
    counts: dict[str, int] = field(default_factory=dict)  # severity -> problems reported

    def __call__(self, problem: InputProblem) -> None:
        if len(self.problems) < self.max_kept:
            self.problems.append(problem)
        self.counts[problem.severity] = self.counts.get(problem.severity, 0) + 1
        if self.echo is not None:
            self.echo(f"{problem.severity}: {problem}")

    @property
    def errors(self) -> int:
        return self.counts.get("error", 0)

    @property
    def warnings(self) -> int:
        return self.counts.get("warning", 0)
