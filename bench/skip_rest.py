"""Time scoring and completeness of one section whose every question can skip the rest (issue 15).

    .venv/bin/python bench/skip_rest.py [--questions 10 50 100 300] [--rounds N]

Each question after n `skip_rest_if` questions names all n of them; the walk up keeps each
question's state per set of answers (scoring._applicability's memo), so the time grows with
n² and not 2ⁿ. Prints the median over N rounds of score_response + completeness (the vendor
review page's work) for each size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stagefour.questionnaire import parse_questionnaire  # noqa: E402
from stagefour.scoring import completeness  # noqa: E402
from stagefour.scoring import score_response  # noqa: E402


def skipping(n: int):
    """A questionnaire of one section of n yes/no questions, each but the last skipping the rest on "no"."""
    questions = [
        {
            "id": f"Q{i}",
            "type": "yes_no",
            "prompt": "Does it hold?",
            "required": True,
            "scoring": {"kind": "points", "points": {"yes": 5}},
        }
        | ({"skip_rest_if": {"equals": False}} if i < n - 1 else {})
        for i in range(n)
    ]
    section = {"id": "S", "title": "Checklist", "weight": 1, "questions": questions}
    return parse_questionnaire(
        {"id": "skips", "version": "1", "title": "Skips", "languages": ["en"], "sections": [section]}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, nargs="+", default=[10, 50, 100, 300])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for n in args.questions:
        questionnaire = skipping(n)
        answers = {f"Q{i}": True for i in range(n)}  # nothing skipped: every condition walks to the top
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            score_response(questionnaire, answers, date(2026, 12, 1))
            completeness(questionnaire, answers)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{n:4} questions that skip the rest: {statistics.median(times):8.1f} ms median")


if __name__ == "__main__":
    main()
