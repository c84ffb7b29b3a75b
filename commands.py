"""Command-line interface: `flask --app app <command>`."""

from __future__ import annotations

import getpass
import hashlib
import json
import secrets
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask
from flask import current_app
from flask.cli import with_appcontext

import backup_command
import export_command
import questionnaire_command
import reminder_command
import report_command
import translate
from stagefour import access
from stagefour import commercials
from stagefour import evaluations
from stagefour import passwords
from stagefour import profile
from stagefour import questionnaire_xlsx
from stagefour import store
from stagefour.library import UnknownQuestionnaire
from stagefour.library import load_by_id
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_questionnaire
from stagefour.response import ResponseError
from stagefour.response import read_response
from stagefour.scoring import score_response
from stagefour.xlsx import SheetError

# The command line's words for the password rules of stagefour/passwords.py (in English, like its other messages).
PASSWORD_PROBLEMS = {
    passwords.TOO_SHORT: f"use at least {passwords.MIN_LENGTH} characters",
    passwords.TOO_LONG: f"use at most {passwords.MAX_LENGTH} characters",
    passwords.COMMON: "it is in the list of common passwords",
    passwords.CONTAINS_EMAIL: "it contains the e-mail address",
    passwords.CONTAINS_NAME: "it contains the name of the application",
}
DEMO_FOLDER = Path(__file__).resolve().parent / "demo"
DEMO_FILE = "demo-credentials.txt"
DEMO_TEAM = "Procurement"


def register(app: Flask) -> None:
    """Add every command to the app's CLI."""
    for command in (
        score,
        check_questionnaire,
        init_db,
        create_team,
        create_user,
        demo,
        list_evaluations,
        import_response,
    ):
        app.cli.add_command(command)
    app.cli.add_command(backup_command.backup)
    app.cli.add_command(backup_command.restore)
    app.cli.add_command(export_command.export)
    app.cli.add_command(questionnaire_command.export_questionnaire)
    app.cli.add_command(questionnaire_command.import_questionnaire)
    app.cli.add_command(report_command.report)
    app.cli.add_command(run_jobs)
    app.cli.add_command(reminder_command.send_reminders)
    translate.register(app)


def _db():
    return store.open_db(current_app.config["DATABASE"])


# Click parses and refuses dates itself ("does not match the format '%Y-%m-%d'").
DAY = click.DateTime(formats=["%Y-%m-%d"])


def _errors(title: str, errors: list[str]) -> click.ClickException:
    return click.ClickException(title + "\n" + "\n".join(f"  {e}" for e in errors))


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from None


@click.command("score")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--as-of", "as_of", type=DAY, metavar="YYYY-MM-DD", help="Date the six-month windows end (default: today)."
)
@click.option("--buyer-industry", help="The buyer's industry (a B1 industry value); matching deployments count more.")
@click.option("--buyer-size", help="The buyer's size band (a B1 size_band value).")
@click.option(
    "--buyer-regions",
    metavar="REGION,...",
    help=f"Where the buyer's data may go, comma-separated ({', '.join(profile.BUYER_REGIONS)}).",
)
@click.option("--buyer-ai-act", help=f"The buyer's AI Act class of the use case ({', '.join(profile.AI_ACT_CLASSES)}).")
@click.option("--currency", help="The ISO 4217 code of the money answers (default EUR).")
@click.option("--monthly-tasks", help="The tasks a month the buyer expects (a number of 0 or more).")
@with_appcontext
def score(
    file: Path,
    as_of: datetime | None,
    buyer_industry: str | None,
    buyer_size: str | None,
    buyer_regions: str | None,
    buyer_ai_act: str | None,
    currency: str | None,
    monthly_tasks: str | None,
) -> None:
    """Score a response JSON file and print the result as JSON."""
    options = {
        "data_regions": ("--buyer-regions", buyer_regions),
        "ai_act_class": ("--buyer-ai-act", buyer_ai_act),
        "currency": ("--currency", currency),
        "monthly_tasks": ("--monthly-tasks", monthly_tasks),
    }
    given = {name: value for name, (_option, value) in options.items() if value is not None}
    try:
        buyer_profile = profile.normalise(given)
    except profile.ProfileError as exc:
        option = options[exc.field][0]
        if exc.code in (profile.NOT_A_NUMBER, profile.OUT_OF_RANGE):
            hint = f"expected a number from 0 to {profile.MAX_MONTHLY_TASKS}"
        elif exc.code == profile.UNKNOWN_CURRENCY:
            hint = f"allowed: any of the {len(exc.allowed)} ISO 4217 codes Babel knows, such as EUR, USD, GBP, CHF, JPY"
        else:
            hint = "allowed: " + ", ".join(exc.allowed)
        raise click.BadParameter(f"{exc.value!r} is not allowed; {hint}", param_hint=f"'{option}'") from None
    day = as_of.date() if as_of else date.today()
    raw = _read(file)
    questionnaire_id = _peek_questionnaire_id(raw)
    try:
        questionnaire = load_by_id(questionnaire_id, Path(current_app.config["QUESTIONNAIRE_FOLDER"]))
    except UnknownQuestionnaire as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    except QuestionnaireError as exc:
        raise _errors(f"questionnaire {questionnaire_id} is invalid:", exc.errors) from None
    try:
        response = read_response(questionnaire, raw)
    except ResponseError as exc:
        raise _errors(f"{file}: {len(exc.errors)} error(s):", exc.errors) from None
    buyer_profile |= {k: v for k, v in (("industry", buyer_industry), ("size_band", buyer_size)) if v}
    result = score_response(questionnaire, response.answers, day, buyer_profile=buyer_profile)
    printed = {"vendor": response.vendor, **result.to_dict()}
    if any(s.id == "K" for s in questionnaire.sections):
        printed["commercials"] = commercials.commercials(response.answers, buyer_profile)
    click.echo(json.dumps(printed, ensure_ascii=False, indent=2))


def _peek_questionnaire_id(raw: bytes) -> str:
    """The questionnaire id a response names; full validation comes after loading it."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise click.ClickException(f"not valid JSON: {exc}") from None
    qid = data.get("questionnaire") if isinstance(data, dict) else None
    if not isinstance(qid, str) or not qid.replace("-", "").replace("_", "").isalnum():
        raise click.ClickException('questionnaire: expected the id of a questionnaire, e.g. "ai-deployment-partner"')
    return qid


@click.command("check-questionnaire")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check_questionnaire(file: Path) -> None:
    """Validate a questionnaire (YAML, or an Excel workbook) and report every error with its path or cell."""
    try:
        if file.suffix.lower() == ".xlsx":
            q = questionnaire_xlsx.load_xlsx(_read(file), file.name)
        else:
            q = load_questionnaire(file)
    except QuestionnaireError as exc:
        raise _errors(f"{file}: {len(exc.errors)} error(s):", exc.errors) from None
    except SheetError as exc:
        raise _errors(f"{file}: {len(exc.problems)} problem(s):", [str(p) for p in exc.problems]) from None
    count = sum(len(s.questions) for s in q.sections)
    click.echo(f"{file}: OK — {q.id} version {q.version}, {len(q.sections)} sections, {count} questions, hash {q.hash}")


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database in instance/ or apply pending migrations."""
    db = _db()
    applied = store.migrate(db)
    click.echo(f"database {current_app.config['DATABASE']}: " + (", ".join(applied) or "up to date"))


def _team(db, name: str) -> dict:
    team = store.get_team_by_name(db, name)
    if team is None:
        raise click.ClickException(f"no team named {name} (create it with `flask --app app create-team`)")
    return team


@click.command("create-team")
@click.argument("name")
@with_appcontext
def create_team(name: str) -> None:
    """Create a team (evaluations and users belong to teams)."""
    if not name.strip() or len(name) > 200 or any(c < " " for c in name):
        raise click.ClickException("a team name is one line of at most 200 characters")
    try:
        team_id = store.create_team(_db(), name, "cli")
    except store.StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created team {name.strip()} (id {team_id})")


@click.command("create-user")
@click.argument("email")
@click.option("--team", "team_name", help="The team the user joins (required unless --admin).")
@click.option("--role", type=click.Choice(store.ROLES), default="viewer", show_default=True, help="Their role there.")
@click.option("--admin", is_flag=True, help="Make them a site administrator (manages users and teams).")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_user(email: str, team_name: str | None, role: str, admin: bool, password: str) -> None:
    """Create an account in a team with a role, or a site administrator (the password is prompted for)."""
    from views.auth import hash_password

    if "@" not in email or len(email) > 320:
        raise click.ClickException(f"not an e-mail address: {email}")
    refused = passwords.problem(password, email)
    if refused:
        raise click.ClickException(f"password refused: {PASSWORD_PROBLEMS[refused]}")
    if team_name is None and not admin:
        raise click.ClickException("name the user's team with --team NAME (or make a site administrator with --admin)")
    db = _db()
    team = _team(db, team_name) if team_name is not None else None
    try:
        with db.atomic():
            user_id = store.create_user(db, email, hash_password(password), is_admin=admin)
            if team is not None:
                store.set_membership(db, team["id"], user_id, role, "cli")
    except store.StoreError as exc:
        raise click.ClickException(str(exc)) from None
    where = f"{role} in team {team['name']}" if team else "no team"
    click.echo(f"created {email} (id {user_id}): {where}" + (", site administrator" if admin else ""))


DEMO_VENDORS = (
    # (response file, submitted?, only these sections for a response still in progress)
    ("stage4-deployer", True, None),
    ("pilots-only", True, None),
    ("stage-inflation", False, ("A", "B", "C")),
    # questionnaire 1.1: every new item answered, each vendor showing one thing a committee weighs
    ("stage4-exemplary", True, None),
    ("global-inference", True, None),
    ("model-reseller", True, None),
    ("no-exit", True, None),
)
# Claims automation is not in Annex III (its 5(c) covers risk assessment and pricing in life and
# health insurance only), but claimants get messages the agents draft, so Art. 50 duties apply.
DEMO_PROFILE = {
    "industry": "insurance",
    "size_band": "1k_10k",
    "data_regions": ["eu_eea", "uk"],
    "ai_act_class": "transparency_only",
    "currency": "EUR",
    "monthly_tasks": 60000,
}


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (but print the demo logins) if the demo already ran.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Where the app is served.")
@with_appcontext
def demo(if_empty: bool, base_url: str) -> None:
    """Fill a fresh instance with a team, its buyer, one evaluation and seven vendors; print the logins and links."""
    from views.auth import hash_password

    db = _db()
    store.migrate(db)
    saved = Path(current_app.instance_path) / DEMO_FILE
    if store.list_evaluations(db):
        if if_empty and saved.exists():
            click.echo(saved.read_text(encoding="utf-8"), nl=False)
            return
        raise click.ClickException("this instance already has evaluations; the demo only fills an empty one")
    questionnaire = load_by_id("ai-deployment-partner", Path(current_app.config["QUESTIONNAIRE_FOLDER"]))
    email, password = "buyer@example.com", secrets.token_urlsafe(9)
    try:
        user_id = store.create_user(db, email, hash_password(password), is_admin=True)
    except store.StoreError:
        user_id = store.get_user_by_email(db, email)["id"]
        store.set_password(db, user_id, hash_password(password))
    team = store.get_team_by_name(db, DEMO_TEAM)
    team_id = team["id"] if team else store.create_team(db, DEMO_TEAM, "cli")
    store.set_membership(db, team_id, user_id, "owner", "cli")
    store.set_admin(db, user_id, True, "cli")
    deadline = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    evaluation_id = evaluations.start_evaluation(
        db,
        questionnaire,
        "AI deployment partner for claims automation",
        deadline=deadline,
        buyer_profile=DEMO_PROFILE,
        user_id=user_id,
        team_id=team_id,
    )
    actor = f"user:{user_id}"
    lines = [f"buyer login: {base_url}/login  e-mail: {email}  password: {password}"]
    for name, submit, sections in DEMO_VENDORS:
        response = read_response(questionnaire, (DEMO_FOLDER / "responses" / f"{name}.json").read_bytes())
        if sections:
            keep = {q.id for s in questionnaire.sections if s.id in sections for q in s.questions}
            response = type(response)(
                response.questionnaire, response.vendor, {k: v for k, v in response.answers.items() if k in keep}
            )
        expires = evaluations.link_expiry(deadline, current_app.config["LINK_VALID_DAYS"], datetime.now(UTC))
        vendor_id, token = evaluations.invite(db, evaluation_id, response.vendor, None, actor, expires_at=expires)
        evaluations.import_response(db, vendor_id, response, f"vendor:{vendor_id}", submit=submit)
        state = "submitted" if submit else "in progress"
        lines.append(f"vendor {response.vendor} ({state}): {base_url}/v/{token}")
    text = "\n".join(lines) + "\n"
    saved.write_text(text, encoding="utf-8")
    saved.chmod(0o600)
    click.echo(text, nl=False)


@click.command("evaluations")
@with_appcontext
def list_evaluations() -> None:
    """List evaluations with their ids."""
    rows = store.list_evaluations(_db())
    if not rows:
        click.echo("no evaluations")
    for e in rows:
        click.echo(
            f"{e['id']}\t{e['title']}\tteam {e['team_name']}{' (restricted)' if e['restricted'] else ''}\t"
            f"{e['questionnaire_id']} {e['questionnaire_version']}\t"
            f"{e['submitted_count']}/{e['vendor_count']} submitted\tdeadline {e['deadline'] or '-'}"
        )


@click.command("import-response")
@click.argument("evaluation_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--vendor-id", "vendor_id", type=int, required=True, help="The vendor's id (see the evaluation page).")
@click.option("--replace", is_flag=True, help="Replace a response that is submitted or already has answers.")
@click.option("--submit", is_flag=True, help="Mark the response as submitted.")
@click.option("--actor", "actor_email", metavar="EMAIL", help="The owner of the evaluation's team doing this import.")
@with_appcontext
def import_response(
    evaluation_id: int, file: Path, vendor_id: int, replace: bool, submit: bool, actor_email: str | None
) -> None:
    """Replace a vendor's answers with response JSON; audited as response_imported, with counts.

    The vendor is named by id, never looked up by the name in the file. The audit entry names
    --actor (an owner of the evaluation with access to it) or else the operating-system user
    who ran the command (`cli:<user>`), and every answer it writes carries the same actor.
    """
    from views.questionnaires import for_snapshot

    db = _db()
    evaluation = store.get_evaluation(db, evaluation_id)
    if evaluation is None:
        raise click.ClickException(f"no evaluation {evaluation_id} (see `flask --app app evaluations`)")
    vendor = store.get_vendor(db, vendor_id)
    if vendor is None:
        raise click.ClickException(f"no vendor {vendor_id}")
    if vendor["evaluation_id"] != evaluation_id:
        raise click.ClickException(f"vendor {vendor_id} is not in evaluation {evaluation_id}")
    os_user = getpass.getuser()
    if actor_email is None:
        actor = store.Actor(f"cli:{os_user}", via="import-response")
    else:
        user = store.get_user_by_email(db, actor_email)
        if user is None or not access.at_least(access.evaluation_role(db, user, evaluation), "owner"):
            raise click.ClickException(
                f"--actor {actor_email}: not an owner of evaluation {evaluation_id} (an enabled account of its team)"
            )
        actor = store.Actor(f"user:{user['id']}", via="import-response", os_user=os_user)
    raw = _read(file)
    questionnaire = for_snapshot(evaluation["snapshot_id"])
    try:
        response = read_response(questionnaire, raw)
    except ResponseError as exc:
        raise _errors(f"{file}: {len(exc.errors)} error(s):", exc.errors) from None
    has_answers = bool(store.load_answers(db, vendor["response_id"]))
    if (vendor["status"] == "submitted" or has_answers) and not replace:
        state = "submitted" if vendor["status"] == "submitted" else "already answered in part"
        raise click.ClickException(
            f"the response of {vendor['name']} (vendor {vendor_id}) is {state}: "
            "add --replace to replace its answers with the file's"
        )
    if response.vendor and response.vendor != vendor["name"]:
        click.echo(f"note: the file names the vendor {response.vendor!r}; imported for {vendor['name']!r}", err=True)
    try:
        summary = evaluations.import_response(db, vendor_id, response, actor, submit=submit)
    except store.EvaluationClosed as exc:
        raise click.ClickException(str(exc)) from None
    store.audit(
        db,
        actor,
        "response_imported",
        evaluation_id=evaluation_id,
        vendor_id=vendor_id,
        response_id=vendor["response_id"],
        file=file.name[:200],
        sha256=hashlib.sha256(raw).hexdigest(),
        answers=summary.answers,
        changed=summary.changed,
        cleared=summary.cleared,
        replaced=has_answers,
        reopened=summary.reopened,
        submitted=summary.submitted,
    )
    click.echo(
        f"imported {summary.answers} answers for {vendor['name']} (vendor {vendor_id}): "
        f"{summary.changed} changed, {summary.cleared} cleared" + (", submitted" if submit else "")
    )


@click.command("run-jobs")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker threads (default: JOBS_WORKERS).")
@with_appcontext
def run_jobs(workers: int | None) -> None:
    """Run the background jobs (PDFs, e-mail) in the foreground until SIGTERM (Huey's consumer)."""
    import logging

    jobs = current_app.extensions["jobs"]
    if jobs.huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is on: jobs run as they are queued; there is nothing to consume")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workers = workers or int(current_app.config["JOBS_WORKERS"])
    click.echo(f"running jobs from {jobs.huey.storage.__class__.__name__} with {workers} worker(s)", err=True)
    # SIGTERM (systemd's stop) lets a running job finish; a second one, or SIGINT, stops at once.
    jobs.consumer(workers).run()
