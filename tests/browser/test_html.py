"""Every page type is valid HTML by the Nu HTML Checker (npm `vnu-jar`, run with the machine's Java).

The HTML checked is what the server sent (the HTTP response body), not the browser's DOM. The
checker takes ~2 s and ~350 MB per start, so every page goes to one call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import Response

from .test_accessibility import ROOT
from .test_accessibility import walk_every_page_type

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _checker() -> list[str]:
    """The command that runs the checker; skips (fails in CI) when Java or the jar is missing."""
    java = shutil.which("java")
    missing = [what for what, ok in (("java", java), (str(VNU.relative_to(ROOT)), VNU.exists())) if not ok]
    if missing:
        message = f"the Nu HTML Checker needs {' and '.join(missing)}: run `bash scripts/setup.sh`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return [java, "-jar", str(VNU), "--errors-only", "--format", "json"]


def test_every_page_type_is_valid_html(live, page, tmp_path):
    command = _checker()
    files: list[Path] = []

    def keep(name: str, page: Page, response: Response) -> None:
        path = tmp_path / f"{name}.html"
        path.write_bytes(response.body())
        files.append(path)

    walk_every_page_type(live, page, keep)
    assert all(p.stat().st_size > 200 for p in files), "a page came back empty"
    done = subprocess.run([*command, *map(str, files)], capture_output=True, text=True, timeout=300)
    # vnu writes its JSON report to stderr and exits non-zero when it found errors
    report = json.loads(done.stderr or '{"messages": []}')
    errors = [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]
    lines = [f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m['message']}" for m in errors]
    if errors:
        for m in errors:
            if m.get("extract"):
                lines.append(f"  … {Path(m.get('url', '?')).name}: {m['extract'].strip()[:160]}")
    assert not errors, f"{len(errors)} error(s) from the Nu HTML Checker over {len(files)} pages:\n" + "\n".join(lines)
    assert done.returncode == 0, done.stdout + done.stderr
