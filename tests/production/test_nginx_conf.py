"""The example deploy/nginx/stagefour/site.conf is valid nginx with the shipped site, once its paths exist.

tests/production/test_https.py runs the site with the tests' own site.conf (loopback ports, a
temporary folder); this checks the one people copy, with nginx's own parser (`nginx -t`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .stack import DEPLOY
from .stack import TOOLS

EXAMPLE = DEPLOY / "nginx" / "stagefour" / "site.conf"
# The only values of the example that name files outside the repository.
PATHS = {
    "/etc/letsencrypt/live/diligence.example.com/fullchain.pem": "cert.pem",
    "/etc/letsencrypt/live/diligence.example.com/privkey.pem": "key.pem",
    "/var/log/nginx/stagefour.access.log": "access.log",
}


def test_the_example_site_conf_passes_nginx_t_with_only_its_file_paths_changed(tmp_path: Path):
    subprocess.run(
        [TOOLS["openssl"], "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-days", "1", "-subj", "/CN=diligence.example.com", "-keyout", str(tmp_path / "key.pem")]
        + ["-out", str(tmp_path / "cert.pem")],
        check=True,
        capture_output=True,
    )
    text = EXAMPLE.read_text(encoding="utf-8")
    for path, name in PATHS.items():
        assert text.count(path) == 1, path
        text = text.replace(path, str(tmp_path / name))
    (tmp_path / "stagefour").mkdir()
    (tmp_path / "stagefour" / "site.conf").write_text(text, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    include {DEPLOY / 'nginx' / 'stagefour.conf'};\n}}\n",
        encoding="utf-8",
    )
    check = subprocess.run(
        [TOOLS["nginx"], "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr
