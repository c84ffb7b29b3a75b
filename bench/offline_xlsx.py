"""Time a vendor's answers workbook (issue 16): writing it, and reading it back, for the default questionnaire.

    .venv/bin/python bench/offline_xlsx.py [--rounds N]

The download and the upload each do one of these per request; both run on the request thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stagefour.library import load_by_id  # noqa: E402
from stagefour.response import parse_response  # noqa: E402
from stagefour.response_xlsx import from_xlsx  # noqa: E402
from stagefour.response_xlsx import to_xlsx  # noqa: E402
from tests.conftest import complete_answers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    questionnaire = load_by_id("ai-deployment-partner")
    data = {"questionnaire": questionnaire.id, "answers": complete_answers("stage4-deployer")}
    answers = parse_response(questionnaire, data).answers
    versions = dict.fromkeys(answers, 3)
    written, read = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        book = to_xlsx(questionnaire, answers, versions, "en", 1, "bench")
        written.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        result = from_xlsx(questionnaire, book, 1, "bench", answers)
        read.append((time.perf_counter() - start) * 1000)
        assert not result.problems and not result.changes()
    print(f"workbook: {len(book):,} bytes, {len(answers)} answers (stage4-deployer)")
    print(f"to_xlsx   median {statistics.median(written):.0f} ms, slowest {max(written):.0f} ms ({args.rounds} rounds)")
    print(f"from_xlsx median {statistics.median(read):.0f} ms, slowest {max(read):.0f} ms ({args.rounds} rounds)")


if __name__ == "__main__":
    main()
