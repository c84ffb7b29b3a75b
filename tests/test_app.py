"""create_app(): the generated secret key, proxy headers only when configured."""

import pytest
from flask import request

from app import create_app


def test_a_secret_key_is_generated_into_the_instance_on_first_run(tmp_path):
    from app import _ensure_secret_key as first

    config = tmp_path / "config.py"
    first(config)
    text = config.read_text()
    assert text.startswith("SECRET_KEY = '") and len(text) > 70
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    first(config)  # never replaced once there
    assert config.read_text() == text


@pytest.mark.parametrize(("proxy_fix", "expected"), [(None, "127.0.0.1"), ({"x_for": 1}, "203.0.113.9")])
def test_forwarded_addresses_are_trusted_only_behind_a_configured_proxy(tmp_path, proxy_fix, expected):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE": str(tmp_path / "db.sqlite3"),
            "UPLOAD_FOLDER": str(tmp_path / "up"),
            "PROXY_FIX": proxy_fix,
            "RATELIMIT_ENABLED": False,
        }
    )

    @app.get("/_whoami")
    def whoami():
        return request.remote_addr

    reply = app.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert reply.get_data(as_text=True) == expected
