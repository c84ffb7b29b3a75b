"""Time scoring one response of the default questionnaire (target: well under 10 ms).

    .venv/bin/python bench/score.py [--rounds N] [--questionnaire FILE.yaml]

Prints the median and the 95th percentile over N rounds for each example response, and the
time to validate the response JSON (done once per import, not per score).
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

from stagefour.library import load_by_id  # noqa: E402
from stagefour.questionnaire import load_questionnaire  # noqa: E402
from stagefour.response import read_response  # noqa: E402
from stagefour.scoring import score_response  # noqa: E402


def timings(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--questionnaire", help="a questionnaire file instead of the library's, e.g. the 1.0 fixture")
    args = parser.parse_args()
    questionnaire = (
        load_questionnaire(args.questionnaire) if args.questionnaire else load_by_id("ai-deployment-partner")
    )
    as_of = date(2026, 11, 21)
    print(f"scoring one response of {questionnaire.id} {questionnaire.version}, {args.rounds} rounds each (ms)")
    print(f"{'response':<22}{'median':>9}{'p95':>9}{'validate':>10}")
    for path in sorted((ROOT / "demo/responses").glob("*.json")):
        text = path.read_text()
        response = read_response(questionnaire, text)
        scored = timings(lambda r=response: score_response(questionnaire, r.answers, as_of), args.rounds)
        validated = timings(lambda t=text: read_response(questionnaire, t), max(args.rounds // 5, 1))
        p95 = scored[int(len(scored) * 0.95) - 1]
        print(f"{path.stem:<22}{statistics.median(scored):>9.3f}{p95:>9.3f}{statistics.median(validated):>10.3f}")
    print("target: well under 10 ms per response")


if __name__ == "__main__":
    main()
