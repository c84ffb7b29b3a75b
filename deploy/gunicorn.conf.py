"""gunicorn's configuration for Stagefour: `gunicorn -c deploy/gunicorn.conf.py` from the repository.

Used as it is by deploy/systemd/stagefour.service and tests/production/. Command-line options and
GUNICORN_CMD_ARGS override what is set here (e.g. `-b 127.0.0.1:8001`); WEB_CONCURRENCY sets the
number of workers.
"""

import os
import sys
from pathlib import Path

from gunicorn import glogging

# The repository (this file's parent's parent) on the path: the one redaction of stagefour/redact.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from stagefour import redact  # noqa: E402

wsgi_app = "app:create_app()"

# Loopback only: nginx (deploy/nginx/stagefour.conf) is the only way in.
bind = ["127.0.0.1:8000"]

# Sync workers, two to four per core: each request has a process to itself; SQLite's WAL lets
# readers run beside the one writer (DEPLOYING.md, "gunicorn").
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# A comparison PDF of a large evaluation can take tens of seconds to lay out.
timeout = 120
graceful_timeout = 30
# A worker is replaced after this many requests (staggered), so no slow growth of memory lasts.
max_requests = 2000
max_requests_jitter = 200

# Only nginx on this machine may say a request came over HTTPS, and only with X-Forwarded-Proto
# (nginx sets it; gunicorn's other defaults, X-Forwarded-Ssl/-Protocol, could come from a client).
forwarded_allow_ips = "127.0.0.1,::1"
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Both logs to stderr (the journal under systemd); tests/production/ gives files instead.
accesslog = "-"
errorlog = "-"
loglevel = "info"
# The combined format, with the time taken: the request line and Referer are redacted below.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, whose access and error logs never contain a vendor token.

    access_log_format cannot rewrite a field, and gunicorn's error log quotes the URL of a request
    that failed ("Error handling request /v/<token>/..."), so both loggers get the filter.
    """

    def setup(self, cfg):
        """gunicorn's setup (run again on reload), then the filter on both loggers, once."""
        super().setup(cfg)
        redact.install(self.error_log, self.access_log)


logger_class = RedactingLogger
