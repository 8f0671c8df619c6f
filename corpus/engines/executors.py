"""Which datatrove executor runs the document stages: ``local`` (this machine), ``ray`` or ``slurm`` (a cluster).

``corpus build --engine datatrove --executor KIND`` picks one; ``--executor-option KEY=VALUE`` passes keyword
arguments to its constructor (``partition=cpu``, ``time=02:00:00``, ``mem_per_cpu_gb=1``, ``venv_path=…``). The
optional packages and tools are checked before anything is read, each with one line saying what to install.

- ``local``: ``LocalPipelineExecutor``, ``--workers`` tasks in forked processes.
- ``ray``: ``RayPipelineExecutor`` on the Ray cluster this process is connected to, else the one ``RAY_ADDRESS``
  names or a ``ray start --head`` on this machine, else a local Ray instance started (and stopped) for the run.
- ``slurm``: ``SlurmPipelineExecutor`` submits an array job with ``sbatch``; the build waits for it (polling
  ``squeue``) and then assembles the outputs. Needs ``partition`` and ``time`` options.

On a cluster the output folder (its ``.cache/datatrove`` work folder) must be on storage every node sees.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError

EXECUTORS = ("local", "ray", "slurm")
SLURM_REQUIRED = ("partition", "time")
SLURM_POLL_SECONDS = 15.0


def parse_executor_options(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings as keyword arguments: integers, decimals and true/false become numbers and booleans."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CorpusError(f"--executor-option '{pair}': expected KEY=VALUE (e.g. partition=cpu)")
        options[key.strip()] = _value(value.strip())
    return options


def _value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(text)
    return text


def check_executor(kind: str, options: dict[str, Any] | None = None) -> None:
    """One line when ``kind`` is unknown or what it needs is missing (checked before a build reads anything)."""
    if kind not in EXECUTORS:
        raise CorpusError(f"unknown executor '{kind}' (available: {', '.join(EXECUTORS)})")
    if kind == "ray" and not _ray_available():
        raise CorpusError(
            "the ray executor needs the optional 'ray' package: pip install 'corpus[ray]' (or pip install ray), "
            "or use --executor local"
        )
    if kind == "slurm":
        _check_slurm(options or {})


def _ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def _check_slurm(options: dict[str, Any]) -> None:
    if shutil.which("sbatch") is None:
        raise CorpusError("the slurm executor needs Slurm's sbatch on PATH (run it on a login node)")
    missing = [key for key in SLURM_REQUIRED if key not in options]
    if missing:
        raise CorpusError(
            f"the slurm executor needs {' and '.join(f'--executor-option {k}=…' for k in missing)} "
            "(e.g. partition=cpu time=02:00:00)"
        )


def run_executor(kind: str, pipeline: list, tasks: int, logs: Path, options: dict[str, Any] | None = None) -> Any:
    """Run ``pipeline`` over ``tasks`` ranks with the chosen executor, until every rank is done or failed;
    return the executor (its ``is_rank_completed`` says which ranks finished)."""
    check_executor(kind, options)
    run: Callable[..., Any] = {"local": _run_local, "ray": _run_ray, "slurm": _run_slurm}[kind]
    return run(pipeline, tasks, str(logs), dict(options or {}))


def _run_local(pipeline: list, tasks: int, logs: str, options: dict[str, Any]) -> Any:
    from datatrove.executor.local import LocalPipelineExecutor

    settings = {
        "workers": tasks,
        "start_method": "fork",  # workers inherit registered labellers and start fast, like our own pool
        "skip_completed": True,  # a fresh run folder has no completions; a resumed one skips finished tasks
        **options,
    }
    executor = LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, logging_dir=logs, **settings)
    executor.run()
    return executor


def _run_ray(pipeline: list, tasks: int, logs: str, options: dict[str, Any]) -> Any:
    import ray
    from datatrove.executor.ray import RayPipelineExecutor

    started = not ray.is_initialized()
    if started:  # RAY_ADDRESS, a `ray start` cluster on this machine, or a fresh local instance
        ray.init(log_to_driver=False)
    try:
        settings = {"workers": tasks, "skip_completed": True, **options}
        executor = RayPipelineExecutor(pipeline=pipeline, tasks=tasks, logging_dir=logs, **settings)
        executor.run()
    finally:
        if started:
            ray.shutdown()
    return executor


def _run_slurm(pipeline: list, tasks: int, logs: str, options: dict[str, Any]) -> Any:
    from datatrove.executor.slurm import SlurmPipelineExecutor

    executor = SlurmPipelineExecutor(pipeline=pipeline, tasks=tasks, logging_dir=logs, skip_completed=True, **options)
    executor.run()  # submits the array job and returns
    wait_for_slurm(executor, tasks)
    return executor


def wait_for_slurm(executor: Any, tasks: int, poll_seconds: float = SLURM_POLL_SECONDS) -> None:
    """Until every rank is complete, or the job has left the queue (the caller reports the ranks it missed)."""
    while any(not executor.is_rank_completed(rank) for rank in range(tasks)):
        if not _slurm_job_queued(executor.job_id):
            return
        time.sleep(poll_seconds)


def _slurm_job_queued(job_id: Any) -> bool:
    listed = subprocess.run(["squeue", "-h", "-j", str(job_id)], capture_output=True, text=True, check=False)
    return listed.returncode == 0 and bool(listed.stdout.strip())
