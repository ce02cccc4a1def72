"""``triage models``: list, show, register, promote and roll back models from a shell."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from service import db
from service.config import get_settings
from service.errors import ServiceError

models_app = typer.Typer(
    help="The model registry: versions, the production pointer, the gate.", no_args_is_help=True
)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@contextmanager
def _errors() -> Iterator[None]:
    """Show a registry refusal as one line on stderr and exit non-zero."""
    try:
        yield
    except ServiceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for field in exc.fields:
            typer.echo(f"  {field['field']}: {field['message']}", err=True)
        raise typer.Exit(1) from exc


def _prepare() -> None:
    """Schema up to date and, on a fresh database, the shipped model registered."""
    from service.logging import configure_logging
    from service.registry.promotion import ensure_production

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)  # logs to stderr, tables to stdout
    db.upgrade_schema()
    ensure_production(settings)


def _echo_verdict(verdict: dict[str, Any]) -> None:
    typer.echo(
        f"gate: {'PASSED' if verdict['passed'] else 'FAILED'} "
        f"(candidate {verdict['candidate_version']} vs {verdict['baseline_version']})"
    )
    for check in verdict["checks"]:
        mark = "ok  " if check["passed"] else "FAIL"
        typer.echo(f"  {mark} {check['name']}: {check['detail']}")


@models_app.command("list")
def list_models(
    status: Annotated[str | None, typer.Option(help="candidate, production or archived.")] = None,
) -> None:
    """Registered models, newest first: status, version, created, sha256, gate."""
    from service.registry import store

    _prepare()
    with db.session_scope() as session:
        for row in store.list_versions(session, status=status):
            verdict = row.gate_verdict or {}
            gate = "-" if not verdict else ("passed" if verdict.get("passed") else "failed")
            if verdict.get("overridden"):
                gate = "overridden"
            created = store.when(row.created_at) or ""
            typer.echo(
                f"{row.status:<10}\t{row.version}\t{created[:19]}\t{row.artifact_sha256[:12]}"
                f"\t{gate}"
            )


@models_app.command("show")
def show_model(version: Annotated[str, typer.Argument(help="A registered version.")]) -> None:
    """One model as JSON: metrics, gate verdict, audit trail."""
    from service.registry import store
    from service.registry.schemas import ModelEventOut, ModelVersionDetail, ModelVersionOut

    _prepare()
    with _errors(), db.session_scope() as session:
        row = store.get_version(session, version)
        events = [ModelEventOut.of(e) for e in store.events(session, version)]
        detail = ModelVersionDetail(**ModelVersionOut.of(row).model_dump(), events=events)
    typer.echo(json.dumps(detail.model_dump(mode="json"), indent=2))


@models_app.command("register")
def register_model(
    file: Annotated[Path, typer.Argument(help="A .skops model file.", exists=True, dir_okay=False)],
) -> None:
    """Copy a model into the registry (content-addressed, read-only) as a candidate."""
    from service.registry.service import register

    _prepare()
    with _errors():
        row = register(file.resolve(), settings=get_settings(), actor=_actor())
    typer.echo(f"registered {row.version} ({row.status}) sha256 {row.artifact_sha256}")


@models_app.command("promote")
def promote_model(
    version: Annotated[str, typer.Argument(help="The candidate to promote.")],
    override_reason: Annotated[
        str | None, typer.Option(help="Promote even if the gate fails; recorded.")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Run the gate only.")] = False,
) -> None:
    """Run the promotion gate and move the production pointer if it passes (or is overridden)."""
    from service.registry.promotion import GateFailed, promote

    _prepare()
    with _errors():
        try:
            verdict = promote(
                version,
                settings=get_settings(),
                actor=_actor(),
                override_reason=override_reason,
                dry_run=dry_run,
            )
        except GateFailed as failed:
            _echo_verdict(failed.verdict)
            raise
    _echo_verdict(verdict)
    if dry_run:
        raise typer.Exit(0 if verdict["passed"] else 1)
    note = " (gate overridden: reason recorded)" if verdict.get("overridden") else ""
    typer.echo(f"{version} is now the production model{note}; workers follow within seconds")


@models_app.command("rollback")
def rollback_model(
    reason: Annotated[str | None, typer.Option(help="Why; recorded in the audit trail.")] = None,
) -> None:
    """Restore the previous production model."""
    from service.registry.promotion import rollback

    _prepare()
    with _errors():
        row = rollback(settings=get_settings(), actor=_actor(), reason=reason)
    typer.echo(f"{row.version} is the production model again; workers follow within seconds")
