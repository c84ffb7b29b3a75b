"""Time questionnaires as workbooks: export and import of the shipped questionnaire, and the refusal
of a sheet of a million rows (time and peak memory).

    .venv/bin/python bench/questionnaire_xlsx.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stagefour import library  # noqa: E402
from stagefour import questionnaire_xlsx  # noqa: E402
from stagefour.xlsx import SheetError  # noqa: E402
from tests.test_questionnaire_xlsx import million_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    questionnaire = library.load_by_id("ai-deployment-partner")
    exports, imports = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        data = questionnaire_xlsx.to_xlsx(questionnaire)
        exports.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        back = questionnaire_xlsx.load_xlsx(data)
        imports.append((time.perf_counter() - start) * 1000)
        assert back.hash == questionnaire.hash
    print(
        f"ai-deployment-partner {questionnaire.version}: {len(questionnaire.questions)} questions, {len(data):,} bytes"
    )
    export, read = statistics.median(exports), statistics.median(imports)
    print(f"export median {export:.0f} ms, import (read + validate) {read:.0f} ms")
    hostile = million_rows()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        questionnaire_xlsx.load_xlsx(hostile)
    except SheetError as exc:
        refused = str(exc)
    elapsed = (time.perf_counter() - start) * 1000
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"a million rows ({len(hostile):,} bytes): refused in {elapsed:.0f} ms, peak {peak / 1e6:.1f} MB: {refused}")


if __name__ == "__main__":
    main()
