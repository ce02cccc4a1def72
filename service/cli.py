"""The ``triage`` command line: serve, keys, and the data scientists' and admins' tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from service import db
from service.config import get_settings
from service.integrations.cli import codes_app
from service.policy.cli import policy_app
from service.registry.cli import models_app
from training.cli import data_app, evaluate, score, train

# Installed by `pip install -e '.[train]'`, not by `make run` (the service never needs them).
TRAINING_EXTRAS = {"matplotlib", "tqdm", "pyarrow"}


class _TriageApp(typer.Typer):
    """The root command: a tool that needs the training extras says how to install them."""

    def __call__(self, *args: object, **kwargs: object) -> object:
        try:
            return super().__call__(*args, **kwargs)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in TRAINING_EXTRAS:
                raise
            typer.echo(
                f"error: this command needs the training packages ({exc.name} is not "
                "installed): .venv/bin/pip install -e '.[train]'",
                err=True,
            )
            raise SystemExit(2) from exc


app = _TriageApp(help="Call triage decision support.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(policy_app, name="policy")
app.add_typer(codes_app, name="codes")
app.add_typer(data_app, name="data")
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("score")(score)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default TRIAGE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default TRIAGE_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (TRIAGE_WORKERS).")] = None,
) -> None:
    """Serve the API; creates or upgrades the schema first."""
    import uvicorn

    settings = get_settings()
    workers = workers or settings.workers
    _prepare_metrics_dir(settings.metrics_dir, workers)
    from service.resilience.outage import upgrade_schema_or_degrade

    upgrade_schema_or_degrade(settings.database_url)  # an outage must not stop a restart
    db.dispose_engines()
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def _prepare_metrics_dir(metrics_dir: Path | None, workers: int) -> None:
    """Several workers share Prometheus metrics through files in a fresh directory."""
    if workers <= 1 and metrics_dir is None:
        return
    path = metrics_dir or Path(get_settings().journal_dir).parent / f"metrics-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema of TRIAGE_DATABASE_URL."""
    db.upgrade_schema()
    typer.echo("schema is at the latest revision")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="cad, dispatcher, analyst or admin.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
) -> None:
    """Create a key; its secret is printed once, alone on the last line."""
    from service.keys.service import UnknownRoleError, create_key

    db.upgrade_schema()
    try:
        with db.session_scope(write=True) as session:
            key, secret = create_key(session, role=role, name=name)
    except UnknownRoleError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created key {key.id} ({key.role}, {key.name}); store the secret now:")
    typer.echo(secret)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    from service.keys.service import list_keys

    db.upgrade_schema()
    with db.session_scope() as session:
        keys = list_keys(session)
        if not keys:
            typer.echo("no keys yet: triage keys create --role cad --name NAME", err=True)
        for key in keys:
            state = "revoked" if key.revoked_at else "active"
            typer.echo(
                f"{key.id}\t{key.role}\t{state}\t{key.created_at:%Y-%m-%d %H:%M}\t{key.name}"
            )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by `keys list`.")],
) -> None:
    """Revoke a key; every worker refuses it from the next request on."""
    from service.keys.service import revoke_key

    with db.session_scope(write=True) as session:
        key = revoke_key(session, key_id)
    if key is None:
        typer.echo(f"no key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@app.command()
def purge(
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            min=0,
            help="Erase narratives older than DAYS days (default TRIAGE_RETENTION_DAYS).",
        ),
    ] = None,
) -> None:
    """Erase old narratives; tags, modes, versions, decisions and outcomes are kept."""
    from service.retention import purge_narratives

    days = older_than if older_than is not None else get_settings().retention_days
    if days is None:
        typer.echo("give --older-than DAYS or set TRIAGE_RETENTION_DAYS", err=True)
        raise typer.Exit(2)
    db.upgrade_schema()
    purged = purge_narratives(older_than_days=days)
    typer.echo(f"erased {purged} narratives older than {days:g} days")


if __name__ == "__main__":
    app()
