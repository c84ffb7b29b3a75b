"""Time finding the shipped questionnaires: the first load of the folder, and every later lookup.

    .venv/bin/python bench/library.py [--rounds N]

Before issue 15 "New evaluation" re-read every file's mtime and the library logged a warning for
an invalid file on every request; now each file is loaded once per version (mtime and size), so
a request pays only a stat() per file.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stagefour import library  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    files = library.questionnaire_paths()
    start = time.perf_counter()
    shelf = library.shelf()
    first = (time.perf_counter() - start) * 1000
    later = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        library.find("ai-deployment-partner")
        later.append((time.perf_counter() - start) * 1000)
    later.sort()
    print(f"shipped folder: {len(files)} file(s), {len(shelf.questionnaires)} valid, {len(shelf.problems)} invalid")
    print(f"first load (parse and validate every file) {first:.0f} ms")
    print(f"later lookups by id, {args.rounds} rounds: median {statistics.median(later):.3f} ms, "
          f"p95 {later[int(len(later) * 0.95) - 1]:.3f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
