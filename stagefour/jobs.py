"""Background work on Huey: comparison PDFs, response PDFs and receipts, and e-mail of vendor links.

No Flask here: create_app builds a `Jobs` from the app's config (a plain mapping, read when a
job runs), the views enqueue through it, and `flask --app app run-jobs` runs Huey's consumer.

Storage. JOBS_URL unset or `sqlite:///path` → SqliteHuey on instance/jobs.sqlite3 (0600), so
`make run` stays one process: with JOBS_IN_PROCESS the web process runs Huey's consumer as
threads. `redis://…` → RedisHuey, for several workers or hosts running `run-jobs`.

PDFs (issue 10: every request after a change started another build and stale builds never
stopped). A PDF is asked for by its content key (stagefour/report.py); its state — queued,
building with its stage, or failed with the reason — lives in Huey's key-value store under
`pdf:<key>`, set with put_if_empty, so a second request for the same key finds the job and
enqueues nothing. Its task id is `pdf-<key>`. Each slot (an evaluation × language × paper
size, or a vendor's response × language × size) builds one PDF at a time (a Huey lock; a
task that finds it held asks Huey to retry it a second later), and remembers the newest key
asked for: a queued task of an older key is revoked, and one that starts anyway finds its
key outdated and exits at once. The renderer runs in a child process killed at
REPORT_MAX_SECONDS and refuses a PDF past REPORT_MAX_PAGES before writing it (report.py).

E-mail. Every e-mail (a vendor's link, the notice that a vendor's link was reissued or revoked,
an account invitation or reset link) is one task retried MAIL_RETRIES times with a growing delay;
it is audited with the caller's action names when the server takes it (`link_emailed`,
`vendor_notified`, `account_emailed`) and after the last attempt (`link_email_failed`,
`vendor_notice_failed`, `account_email_failed`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from huey import RedisHuey
from huey import SqliteHuey
from huey.consumer import Consumer
from huey.exceptions import RetryTask
from huey.exceptions import TaskLockedException

from stagefour import mail
from stagefour import report
from stagefour import store
from stagefour.evaluations import compare
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import parse_questionnaire

log = logging.getLogger(__name__)

# A queued or building state not touched for this long belongs to a job that died with its
# process (a build refreshes its state at every stage and is killed at REPORT_MAX_SECONDS).
STALE_AFTER = 900
# How long a task waits before trying again when its slot is building another key.
SLOT_BUSY_RETRY_SECONDS = 1
NEWER_KEPT = 32  # replaced states a slot remembers for their waiters
EMAIL_BATCH = 200  # e-mails per queued task when many go at once (reminders)


def huey_for(url: str | None, instance_path: str, immediate: bool = False):
    """The Huey instance of a JOBS_URL: unset or sqlite:///path → SqliteHuey (0600), redis://… → RedisHuey."""
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("stagefour", url=url, results=False, immediate=immediate)
    if url and not url.startswith("sqlite://"):
        raise ValueError(f"JOBS_URL must start with sqlite:// or redis:// (got {urlsplit(url).scheme!r})")
    path = Path(url.removeprefix("sqlite://") if url else Path(instance_path) / "jobs.sqlite3")
    if not immediate:  # immediate mode keeps its queue in memory and touches no file
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Created 0600 before SQLite opens it: the queue holds e-mails with vendors' private links.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
    return SqliteHuey("stagefour", filename=str(path), results=False, immediate=immediate)


class _InProcessConsumer(Consumer):
    """Huey's consumer as threads in the web process: the server (gunicorn, flask run) keeps its signals."""

    def _set_signal_handlers(self) -> None:
        pass


def _state_key(key: str) -> str:
    return f"pdf:{key}"


def _task_id(key: str) -> str:
    return f"pdf-{key}"


def _newer_key(slot: str) -> str:
    return f"newer:{slot}"


def comparison_slot(evaluation_id: int, lang: str, size: str) -> str:
    """The slot of an evaluation's comparison PDF: one build at a time, the newest state wins."""
    return f"slot:comparison:{evaluation_id}:{lang}:{size}"


def response_slot(vendor_id: int, lang: str, size: str) -> str:
    """The slot of a vendor's response PDF (their receipt)."""
    return f"slot:response:{vendor_id}:{lang}:{size}"


class Jobs:
    """The app's Huey instance and its tasks; settings are read from `config` when a job runs."""

    def __init__(self, config: Mapping, huey):
        self.config = config
        self.huey = huey
        self._consumer: Consumer | None = None
        self._consumer_pid: int | None = None
        self._consumer_lock = threading.Lock()
        self.comparison_task = huey.task(name="comparison_pdf")(self._comparison)
        self.response_task = huey.task(name="response_pdf")(self._response)
        self.email_task = huey.task(
            name="email",
            retries=int(config.get("MAIL_RETRIES", 5)),
            retry_delay=float(config.get("MAIL_RETRY_DELAY", 30)),
            retry_backoff=2,
            context=True,
        )(self._email)
        self.email_batch_task = huey.task(name="email_batch")(self._email_batch)

    @classmethod
    def from_config(cls, config: Mapping, instance_path: str) -> Jobs:
        """Jobs on the storage config["JOBS_URL"] names (immediate mode when JOBS_IMMEDIATE)."""
        return cls(config, huey_for(config.get("JOBS_URL"), instance_path, bool(config.get("JOBS_IMMEDIATE"))))

    # --- consumers ------------------------------------------------------------------------------

    def consumer(self, workers: int = 1, in_process: bool = False) -> Consumer:
        """Huey's consumer of this queue: `workers` threads; in-process ones leave signals alone."""
        kind = _InProcessConsumer if in_process else Consumer
        return kind(
            self.huey,
            workers=workers,
            worker_type="thread",
            periodic=False,
            max_delay=float(self.config.get("JOBS_POLL_SECONDS", 1.0)),
            graceful_signal="TERM",
        )

    def ensure_consumer(self) -> None:
        """Start the in-process consumer once per process (after a fork too: threads do not survive it)."""
        if self._consumer_pid == os.getpid():
            return
        with self._consumer_lock:
            if self._consumer_pid == os.getpid():
                return
            self._consumer = self.consumer(int(self.config.get("JOBS_WORKERS", 1)), in_process=True)
            self._consumer.start()
            self._consumer_pid = os.getpid()

    def stop_consumer(self) -> None:
        """Stop the in-process consumer, letting a running job finish."""
        with self._consumer_lock:
            if self._consumer is not None and self._consumer_pid == os.getpid():
                self._consumer.stop(graceful=True)
            self._consumer = None
            self._consumer_pid = None

    # --- PDF state -----------------------------------------------------------------------------

    def pdf_status(self, key: str) -> report.BuildStatus:
        """Ready (in the cache), queued or building (with progress), failed (with the reason), or absent."""
        # The state first, then the file: a job stores the PDF before it deletes the state, so a
        # state already gone means the PDF is there (or was never asked for).
        state = self.huey.get(_state_key(key), peek=True)
        if report.ReportCache(self._folder()).get(key):
            return report.BuildStatus("ready", "done")
        if state is None:
            return report.BuildStatus("absent")
        if state["state"] == "failed":
            return report.BuildStatus(
                "failed", error=state.get("error", ""), reason=state.get("reason", ""), limit=state.get("limit", 0)
            )
        if time.time() - state["updated"] > STALE_AFTER:
            return report.BuildStatus("absent")
        return report.BuildStatus("building", state["stage"], time.time() - state["started"], state["estimate"])

    def clear_failure(self, key: str) -> None:
        """Forget a failed build once it was shown, so the next request tries again."""
        self.huey.delete(_state_key(key))

    def _folder(self) -> str:
        return self.config["REPORT_FOLDER"]

    def _request(self, task, key: str, slot: str, estimate: float, **arguments) -> None:
        """Enqueue the build of `key` unless it is queued or building already; outdate the slot's older key."""
        now = time.time()
        state = {"state": "building", "stage": "queued", "started": now, "updated": now, "estimate": estimate}
        if not self.huey.put_if_empty(_state_key(key), state):
            if self.pdf_status(key).state != "absent":
                return  # a duplicate request: the job exists
            self.huey.put(_state_key(key), state)
        previous = self.huey.get(slot, peek=True)
        self.huey.put(slot, key)
        if previous and previous != key:
            older = self.huey.get(_state_key(previous), peek=True)
            if older and older["stage"] == "queued":
                self.huey.revoke_by_id(_task_id(previous), revoke_once=True)
                self.huey.delete(_state_key(previous))
                self._remember_newer(slot, previous, key)
        self.huey.enqueue(task.s(key=key, slot=slot, id=_task_id(key), **arguments))

    def _remember_newer(self, slot: str, old: str, new: str) -> None:
        """Whoever waits for the PDF of `old` is given `new`, a later state of the same slot, instead.

        Without this a buyer whose vendors keep saving never gets a PDF: each refresh of the
        progress page would ask for the newest state, whose build a newer save outdates again
        (bench/soak.py saw 0 PDFs in 53 requests). Chains are kept one step long, and a slot
        remembers its last NEWER_KEPT replacements only, so the map stays small.
        """
        if old == new:
            return
        newer = self.huey.get(_newer_key(slot), peek=True) or {}
        newer = {waited: (new if got == old else got) for waited, got in newer.items() if waited != new}
        newer[old] = new
        self.huey.put(_newer_key(slot), dict(list(newer.items())[-NEWER_KEPT:]))

    def answer_for(self, key: str, slot: str) -> str:
        """The key whose PDF answers a wait for `key`: itself, or the later state of its slot that replaced it."""
        return (self.huey.get(_newer_key(slot), peek=True) or {}).get(key, key)

    def request_comparison(
        self,
        evaluation_id: int,
        lang: str,
        size: str,
        key: str,
        as_of: date,
        actor: str,
        generated_by: str,
        vendors: int,
    ) -> None:
        """Have the comparison PDF of `key` made in the background (once, however often it is asked for)."""
        self._request(
            self.comparison_task,
            key,
            comparison_slot(evaluation_id, lang, size),
            report.estimate_seconds(vendors),
            evaluation_id=evaluation_id,
            lang=lang,
            size=size,
            as_of=as_of.isoformat(),
            actor=actor,
            generated_by=generated_by,
        )

    def request_response(self, evaluation_id: int, vendor_id: int, lang: str, size: str, key: str, actor: str) -> None:
        """Have a vendor's response PDF (their receipt) of `key` made in the background."""
        self._request(
            self.response_task,
            key,
            response_slot(vendor_id, lang, size),
            report.estimate_seconds(1),
            evaluation_id=evaluation_id,
            vendor_id=vendor_id,
            lang=lang,
            size=size,
            actor=actor,
        )

    # --- tasks ---------------------------------------------------------------------------------

    def _build(self, key: str, slot: str, prepare: Callable, audit: Callable) -> None:
        """Run one PDF build of a slot: prepare(db) → (html, details, the key of the state it shows) or None."""
        newest = self.huey.get(slot, peek=True)
        if newest not in (None, key):
            # A newer state was asked for: its build answers whoever waits for this one.
            self.huey.delete(_state_key(key))
            self._remember_newer(slot, key, newest)
            return
        try:
            with self.huey.lock_task(slot):
                self._build_locked(key, slot, prepare, audit)
        except TaskLockedException:
            raise RetryTask(delay=SLOT_BUSY_RETRY_SECONDS) from None

    def _build_locked(self, key: str, slot: str, prepare: Callable, audit: Callable) -> None:
        cache = report.ReportCache(self._folder())
        if cache.get(key):
            self.huey.delete(_state_key(key))
            return
        state = self.huey.get(_state_key(key), peek=True) or {"estimate": report.estimate_seconds(1)}
        started = time.time()

        def progress(stage: str) -> None:
            now = time.time()
            self.huey.put(
                _state_key(key),
                {
                    "state": "building",
                    "stage": stage,
                    "started": started,
                    "updated": now,
                    "estimate": state["estimate"],
                },
            )

        progress("preparing")
        db = store.open_db(self.config["DATABASE"])
        try:
            prepared = prepare(db)
            if prepared is None:
                self.huey.delete(_state_key(key))
                return
            html, details, built = prepared
            # Changed since it was asked for: the state as it is now is made, for this wait and later ones.
            # Waiters are pointed at it only once its PDF exists: until then they watch this build's
            # progress, and a wait pointed at a state with no build would start yet another one.
            if built != key and cache.get(built):
                self._remember_newer(slot, key, built)
                self.huey.delete(_state_key(key))
                return
            began = time.perf_counter()
            rendered = report.render_bounded(
                html,
                max_pages=int(self.config.get("REPORT_MAX_PAGES", report.MAX_PAGES)),
                max_seconds=float(self.config.get("REPORT_MAX_SECONDS", report.MAX_SECONDS)),
                progress=progress,
            )
            cache.store(built, rendered.pdf)
            self._remember_newer(slot, key, built)
            self.huey.delete(_state_key(key))
            try:
                audit(
                    db,
                    details | {"key": built, "pages": rendered.pages, "seconds": round(time.perf_counter() - began, 2)},
                )
            except Exception:  # the PDF is made; a failed audit entry must not hide it
                log.exception("could not record report_made for %s", key)
        except report.TooLarge as exc:
            log.warning("PDF %s refused: %s", key, exc)
            self.huey.put(
                _state_key(key),
                {
                    "state": "failed",
                    "reason": exc.reason,
                    "limit": exc.limit,
                    "error": str(exc),
                    "updated": time.time(),
                },
            )
        except Exception as exc:  # shown once on the progress page, then tried again
            log.exception("PDF %s failed", key)
            self.huey.put(
                _state_key(key),
                {"state": "failed", "error": f"{type(exc).__name__}: {exc}"[:500], "updated": time.time()},
            )
        finally:
            db.close()
            cache.prune()

    def _comparison(self, key, slot, evaluation_id, lang, size, as_of, actor, generated_by) -> None:
        """Make the comparison PDF of an evaluation as it is now (the state `key` names, or a later one)."""

        def prepare(db):
            evaluation = store.get_evaluation(db, evaluation_id)
            if evaluation is None:
                return None
            questionnaire = snapshot_questionnaire(db, evaluation["snapshot_id"])
            day = date.fromisoformat(as_of)
            # One read transaction: the key checked and the data the PDF is made from see the same rows.
            with db.atomic():
                inputs = report.comparison_inputs(db, evaluation)
                built = report.comparison_key(inputs, questionnaire, day, lang, size)
                model = report.comparison_model(compare(db, evaluation, questionnaire, day), evaluation, questionnaire)
            html = report.comparison_html(model, questionnaire, lang, size, store.now(), generated_by, built)
            return html, {"vendors": len(model["vendors"])}, built

        def audit(db, details):
            store.audit(
                db,
                actor,
                "report_made",
                evaluation_id=evaluation_id,
                report="comparison",
                lang=lang,
                size=size,
                **details,
            )

        self._build(key, slot, prepare, audit)

    def _response(self, key, slot, evaluation_id, vendor_id, lang, size, actor) -> None:
        """Make a vendor's response PDF from their answers as they are now (those `key` names, or later ones)."""

        def prepare(db):
            evaluation = store.get_evaluation(db, evaluation_id)
            vendor = store.get_vendor(db, vendor_id)
            if evaluation is None or vendor is None:
                return None
            questionnaire = snapshot_questionnaire(db, evaluation["snapshot_id"])
            answers = store.load_answers(db, vendor["response_id"])
            built = report.receipt_key(vendor, evaluation, answers, questionnaire, lang, size)
            html = report.receipt_html(vendor, evaluation, answers, questionnaire, lang, size)
            return html, {"response_id": vendor["response_id"]}, built

        def audit(db, details):
            store.audit(
                db,
                actor,
                "report_made",
                evaluation_id=evaluation_id,
                vendor_id=vendor_id,
                report="response",
                lang=lang,
                size=size,
                **details,
            )

        self._build(key, slot, prepare, audit)

    # --- e-mail --------------------------------------------------------------------------------

    def send_email(self, to: str, subject: str, body: str, actor: str, sent: str, failed: str, **audit) -> None:
        """Queue an e-mail, retried until the server takes it or the tries run out; audited as `sent` or
        (after the last try) `failed`, with `audit`'s fields (evaluation_id, vendor_id or anything else)."""
        self.email_task(to, subject, body, actor, sent, failed, audit)

    def send_link(self, to: str, subject: str, body: str, evaluation_id: int, vendor_id: int, actor: str) -> None:
        """Queue the e-mail of a vendor's link (audited as link_emailed or link_email_failed)."""
        self.send_email(to, subject, body, actor, "link_emailed", "link_email_failed",
                        evaluation_id=evaluation_id, vendor_id=vendor_id)  # fmt: skip

    def send_emails(self, messages: list[dict], actor: str, sent: str, failed: str) -> None:
        """Queue many e-mails (each a dict of to, subject, body and audit fields) in tasks of EMAIL_BATCH.

        One queue write per batch, not per e-mail: 10,000 reminders are 50 writes (bench/reminders.py).
        """
        for start in range(0, len(messages), EMAIL_BATCH):
            self.email_batch_task(messages[start : start + EMAIL_BATCH], actor, sent, failed)

    def _email_batch(self, messages, actor, sent, failed) -> None:
        """Send each e-mail of a batch once; one that fails goes on as its own e-mail task, retried and audited."""
        settings = mail.MailSettings.from_config(self.config)
        db = store.open_db(self.config["DATABASE"])
        try:
            for m in messages:
                try:
                    mail.send_link(settings, m["to"], m["subject"], m["body"])
                except mail.MailError as exc:
                    # Never the whole batch again: the others were sent.
                    log.warning("e-mail for %s failed once, queued on its own: %s", m["audit"], exc)
                    self.email_task(m["to"], m["subject"], m["body"], actor, sent, failed, m["audit"])
                    continue
                store.audit(db, actor, sent, to=m["to"], **m["audit"])
        finally:
            db.close()

    def _email(self, to, subject, body, actor, sent, failed, audit, task=None) -> None:
        """Send one e-mail; on failure Huey retries it, and the last failure is audited."""
        db = store.open_db(self.config["DATABASE"])
        try:
            try:
                mail.send_link(mail.MailSettings.from_config(self.config), to, subject, body)
            except mail.MailError as exc:
                last = task is None or not task.retries
                log.warning("e-mail for %s failed (%s): %s", audit, "final" if last else "will retry", exc)
                if last:
                    store.audit(db, actor, failed, to=to, error=str(exc)[:500], **audit)
                raise
            store.audit(db, actor, sent, to=to, **audit)
        finally:
            db.close()


def snapshot_questionnaire(db, snapshot_id: int) -> Questionnaire:
    """The questionnaire of an evaluation's snapshot."""
    snapshot = store.get_snapshot(db, snapshot_id)
    return parse_questionnaire(snapshot["definition"], f"snapshot {snapshot_id}")
