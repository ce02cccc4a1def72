"""``triage policy``: validate, activate, show, history and simulate response policies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from service import db
from service.policy.loader import Policy, load_policy
from service.policy.problems import PolicyError

policy_app = typer.Typer(help="Agency response policies.", no_args_is_help=True)

PolicyFile = Annotated[Path, typer.Argument(help="Policy YAML file.", exists=False, dir_okay=False)]


def _load_or_exit(path: Path) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def _echo_warnings(policy: Policy) -> None:
    for warning in policy.warnings:
        typer.echo(str(warning), err=True)


@policy_app.command("validate")
def validate_command(path: PolicyFile) -> None:
    """Check a policy file; exit 1 listing every problem (file, rule, what is wrong)."""
    policy = _load_or_exit(path)
    _echo_warnings(policy)
    typer.echo(
        f"{path}: valid; version {policy.version}; {len(policy.document.rules)} rules; "
        f"modes: {', '.join(policy.modes)}"
    )


@policy_app.command("activate")
def activate_command(path: PolicyFile) -> None:
    """Validate and activate a policy; every worker and replica follows within seconds."""
    from service.policy.service import activate_text

    policy = _load_or_exit(path)
    _echo_warnings(policy)
    db.upgrade_schema()
    done = activate_text(policy.text, source=str(path.resolve()), activated_by="cli")
    record = done.record
    state = "activated" if done.created else "already active:"
    when = f"{record.activated_at:%Y-%m-%d %H:%M:%S}"
    typer.echo(
        f"{state} policy {record.version} (sha256 {record.content_hash}) as "
        f"policy_versions/{record.id}, by {record.activated_by} at {when}"
    )


@policy_app.command("show")
def show_command(
    content: Annotated[bool, typer.Option(help="Print the full policy text too.")] = False,
) -> None:
    """Show the active policy (the last activated, or the configured file if none was)."""
    from service.config import get_settings
    from service.policy.store import active_policy_record, policy_from_record

    db.upgrade_schema()
    with db.session_scope() as session:
        record = active_policy_record(session)
    if record is not None:
        policy = policy_from_record(record)
        typer.echo(f"active policy {policy.version} (policy_versions/{record.id})")
        typer.echo(
            f"activated by {record.activated_by} at {record.activated_at:%Y-%m-%d %H:%M:%S}"
            f" from {record.source}"
        )
    else:
        policy = _load_or_exit(get_settings().policy_path)
        typer.echo(
            f"active policy {policy.version} (configured file {policy.source}; "
            "never activated in the database)"
        )
    typer.echo(f"sha256 {policy.content_hash}; agency: {policy.agency}")
    for mode, who in policy.modes.items():
        typer.echo(f"  mode {mode}: {who}")
    for rule in policy.document.rules:
        typer.echo(
            f"  rule {rule.name} -> {rule.then.response_mode}, backup {rule.then.backup_level}"
        )
    if content:
        typer.echo(policy.text)


@policy_app.command("history")
def history_command() -> None:
    """Every activation, newest first: id, version, who, when, source."""
    from service.policy.store import list_policies

    db.upgrade_schema()
    with db.session_scope() as session:
        rows = list_policies(session)
        if not rows:
            typer.echo(
                "no policy activated yet: the service runs the policy file (TRIAGE_POLICY_PATH)",
                err=True,
            )
        for row in rows:
            mark = "*" if row.is_active else " "
            typer.echo(
                f"{mark} {row.id}\t{row.version}\t{row.activated_by}\t"
                f"{row.activated_at:%Y-%m-%d %H:%M:%S}\t{row.source}"
            )


def _parse_since(since: str | None) -> datetime | None:
    if since is None:
        return None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError as exc:
        raise typer.BadParameter(f"not a date: {since!r} (use YYYY-MM-DD)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@policy_app.command("simulate")
def simulate_command(
    path: PolicyFile,
    since: Annotated[
        str | None, typer.Option(help="Only calls triaged since (YYYY-MM-DD).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Directory for simulation.md and .png.")] = Path(
        "policy-simulation"
    ),
) -> None:
    """Replay stored calls through a candidate policy: mode and backup shifts, calls per day."""
    from service.policy.report import markdown_report, plot
    from service.policy.simulate import simulate, stored_calls

    policy = _load_or_exit(path)
    start = _parse_since(since)
    db.upgrade_schema()
    with db.session_scope() as session:
        result = simulate(policy, stored_calls(session, since=start))
    modes = result.mode_names(policy.modes)
    report = markdown_report(result, modes)
    out.mkdir(parents=True, exist_ok=True)
    (out / "simulation.md").write_text(report, encoding="utf-8")
    typer.echo(report)
    if result.calls:
        plot(result, modes, out / "simulation.png")
        typer.echo(f"wrote {out / 'simulation.md'} and {out / 'simulation.png'}")
    else:
        typer.echo(f"no stored calls to replay; wrote {out / 'simulation.md'}", err=True)
