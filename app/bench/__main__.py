"""Run every benchmark: a readable table, or ``--json`` for one JSON object of figures."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from .suite import BENCHMARKS, Figure


def main(argv: Sequence[str] | None = None,
         benchmarks: Sequence[Callable[[], list[Figure]]] = BENCHMARKS) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.bench", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object name → value")
    args = parser.parse_args(argv)
    figures: list[Figure] = []
    for bench in benchmarks:
        figures.extend(bench())
    if args.json:
        print(json.dumps({f.name: f.value for f in figures}, sort_keys=True))
        return 0
    width = max(len(f.name) for f in figures)
    print(f"{'figure':<{width}}  {'value':>12}  {'unit':<10}  target")
    print("-" * (width + 40))
    failed = 0
    for f in figures:
        verdict = ""
        if f.target is not None:
            ok = f.value <= f.target if f.lower_is_better else f.value >= f.target
            verdict = f"{'≤' if f.lower_is_better else '≥'} {f.target:g}  {'ok' if ok else 'MISSED'}"
            failed += not ok
        print(f"{f.name:<{width}}  {f.value:>12,.3f}  {f.unit:<10}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    from .desktop import DESKTOP_BENCHMARKS  # Qt runs in child processes

    sys.exit(main(benchmarks=(*BENCHMARKS, *DESKTOP_BENCHMARKS)))
