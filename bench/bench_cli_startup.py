"""How long `cxloop --help` and `cxloop <command> --help` take to start (issue 11: under 0.5 s).

python bench/bench_cli_startup.py --runs 10
python bench/bench_cli_startup.py --runs 10 --before /tmp/before/src   # also time another checkout's src/

Each case runs `python -m cxloop ... --help` in a fresh process `--runs` times and prints the median and minimum
wall time and the median CPU time (user + system, less sensitive to other jobs on the machine). With `--before`,
the other checkout runs first in each round (PYTHONPATH puts its src/ ahead of the installed package), so both see
the same load. To get the code before a change: `git archive <commit> src | tar -x -C /tmp/before`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

CASES = ([], ["api-key"], ["export"], ["import"], ["metrics"], ["init"], ["audit"])


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `cxloop ... --help`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cxloop", *args, "--help"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _summary(times: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in times], [c for _, c in times]
    wall = f"wall median {statistics.median(walls):.2f} s (min {min(walls):.2f})"
    return f"{wall}, CPU median {statistics.median(cpus):.2f} s"


def _exists(case: list[str], env: dict[str, str]) -> bool:
    command = [sys.executable, "-m", "cxloop", *case, "--help"]
    return subprocess.run(command, env=env, capture_output=True, check=False).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--before", help="the src/ directory of another checkout to time as well")
    args = parser.parse_args()
    now = dict(os.environ)
    other = {**os.environ, "PYTHONPATH": args.before} if args.before else None
    for case in CASES:
        compare = other is not None and _exists(case, other)  # a command the other checkout lacks is timed alone
        mine, theirs = [], []
        for _ in range(args.runs):
            if compare and other is not None:
                theirs.append(_run(case, other))
            mine.append(_run(case, now))
        label = "cxloop " + " ".join([*case, "--help"])
        print(f"{label:<24} now: {_summary(mine)}" + (f" | before: {_summary(theirs)}" if theirs else ""), flush=True)


if __name__ == "__main__":
    main()
