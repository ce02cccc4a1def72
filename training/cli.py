"""Data scientists' commands: ``triage data generate``, ``triage train``, ``triage evaluate``.

``data_app`` is a typer sub-app; ``train`` and ``evaluate`` are plain functions with typer
options, mounted by ``service/cli.py``. ``python -m training.cli`` runs them standalone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from service.feedback.cli import export as export_labeled

DEVSET = Path("training/devset")
DEV = DEVSET / "dev.jsonl"
HOLDOUT = DEVSET / "holdout.jsonl"
# Model-selection sets (thresholds, error analysis) and reporting-only sets, by file name.
DEV_SETS = [DEV, DEVSET / "dev2.jsonl", DEVSET / "dev3.jsonl"]
HOLDOUT_SETS = [HOLDOUT, *(DEVSET / f"holdout{k}.jsonl" for k in (2, 3, 4))]
CORPUS_DIR = Path("training/corpus")
DEFAULT_OUT = Path("models/triage-default.skops")

data_app = typer.Typer(help="Generate and export labeled notes.", no_args_is_help=True)
data_app.command("export")(export_labeled)  # corrected and decided calls (issue 6)


@data_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Output file (.jsonl, .csv or .parquet).")],
    n: Annotated[int, typer.Option(help="Number of notes.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same notes).")] = 0,
    negation_rate: Annotated[float, typer.Option(help="Per absent tag: negated cue.")] = 0.30,
    decoy_rate: Annotated[float, typer.Option(help="Chance of a decoy clause.")] = 0.50,
    typo_rate: Annotated[float, typer.Option(help="Chance a cue phrase has a typo.")] = 0.12,
    update_rate: Annotated[float, typer.Option(help="Chance of UPDT lines.")] = 0.30,
    multi_tag_rate: Annotated[float, typer.Option(help="Tagged notes with 2-3 tags.")] = 0.25,
    demographic_rate: Annotated[float, typer.Option(help="Chance of a descriptor.")] = 0.45,
    label_noise: Annotated[float, typer.Option(help="Chance each label is flipped.")] = 0.0,
) -> None:
    """Write synthetic labeled dispatch notes (see training/generate.py for every knob)."""
    from tqdm import tqdm

    from training.dataio import write_rows
    from training.generate import GeneratorConfig, NoteGenerator

    config = GeneratorConfig(
        n=n,
        seed=seed,
        negation_rate=negation_rate,
        decoy_rate=decoy_rate,
        typo_rate=typo_rate,
        update_rate=update_rate,
        multi_tag_rate=multi_tag_rate,
        demographic_rate=demographic_rate,
        label_noise=label_noise,
    )
    generator = NoteGenerator(config)
    rows = [generator.note(i) for i in tqdm(range(n), desc="generating", unit="note")]
    write_rows(rows, out)
    typer.echo(f"wrote {len(rows)} notes to {out}")


def train(
    out: Annotated[Path, typer.Option(help="Artifact to write.")] = DEFAULT_OUT,
    seed: Annotated[int, typer.Option(help="Seed of generation and splits.")] = 20261126,
    n: Annotated[int, typer.Option(help="Synthetic notes when --data is not given.")] = 15_000,
    data: Annotated[Path | None, typer.Option(help="Labeled notes (csv/jsonl/parquet).")] = None,
    text_column: Annotated[str, typer.Option(help="Narrative column of --data.")] = "narrative",
    dev: Annotated[
        list[Path] | None,
        typer.Option(help="Hand-written dev set (model selection); repeat for several."),
    ] = None,
    holdout: Annotated[
        list[Path] | None, typer.Option(help="Holdout set, reported only; repeat for several.")
    ] = None,
    corpus: Annotated[
        list[Path] | None,
        typer.Option(help="Hand-written training notes (default: training/corpus/*.jsonl)."),
    ] = None,
    use_corpus: Annotated[
        bool, typer.Option("--use-corpus/--no-corpus", help="Train on the hand-written notes.")
    ] = True,
    corpus_weight: Annotated[
        float | None,
        typer.Option(
            help="How many generated notes one hand-written note weighs (default 40, chosen "
            "leaving one writer out at a time; docs/model.md).",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[bool, typer.Option(help="Also compare candidate models on dev.")] = False,
    card: Annotated[Path | None, typer.Option(help="Model card Markdown to write.")] = None,
    name: Annotated[
        str, typer.Option(help="Model name: versions read <name>-<hash> (e.g. springfield).")
    ] = "triage-default",
) -> None:
    """Train the classifier, choose thresholds (dev sets, else a validation split), save it."""
    from training.pipeline_run import CORPUS_WEIGHT, NAME_PATTERN, run_training

    if not NAME_PATTERN.match(name):
        raise typer.BadParameter(
            f"{name!r}: 1-40 lowercase letters, digits or dashes, starting with a letter or digit",
            param_hint="--name",
        )

    missing = [str(p) for p in [*(dev or []), *(holdout or [])] if not p.exists()]
    if missing:  # the default sets may be absent (skipped); a file named here must exist
        raise typer.BadParameter(f"file not found: {', '.join(missing)}")
    if corpus is None:
        corpus = sorted(CORPUS_DIR.glob("*.jsonl")) if use_corpus else []
    with _data_errors():
        summary = run_training(
            out=out,
            seed=seed,
            n=n,
            data=data,
            text_column=text_column,
            dev=DEV_SETS if dev is None else dev,
            holdout=HOLDOUT_SETS if holdout is None else holdout,
            compare=compare,
            card=card,
            corpus=corpus if use_corpus else [],
            corpus_weight=CORPUS_WEIGHT if corpus_weight is None else corpus_weight,
            name=name,
        )
    typer.echo(json.dumps(summary, indent=2))


@contextmanager
def _data_errors() -> Iterator[None]:
    """A bad data file ends the command with its file, row and column, not a traceback."""
    from training.dataio import DataError

    try:
        yield
    except DataError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def evaluate(
    model: Annotated[Path, typer.Option(help="Model artifact.")] = DEFAULT_OUT,
    data: Annotated[list[Path] | None, typer.Option(help="Labeled sets to report.")] = None,
    out: Annotated[Path, typer.Option(help="Report directory.")] = Path("docs/reports/latest"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic test split.")] = 99,
) -> None:
    """Write a Markdown evaluation report with PR and calibration plots."""
    from training.evaluate import write_report

    sets = data if data else [p for p in (*DEV_SETS, *HOLDOUT_SETS) if p.exists()]
    with _data_errors():
        report = write_report(model, sets, out, synthetic_seed=seed)
    typer.echo(f"report written to {report}")


def score(
    data: Annotated[Path, typer.Option(help="Notes to score (.csv, .jsonl or .parquet).")],
    out: Annotated[Path, typer.Option(help="Scores to write (.csv, .jsonl or .parquet).")],
    model: Annotated[
        Path | None, typer.Option(help="Model artifact (default TRIAGE_MODEL_PATH).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Scoring processes (default: every core).")
    ] = None,
    text_column: Annotated[str, typer.Option(help="Narrative column of --data.")] = "narrative",
    id_column: Annotated[str, typer.Option(help="Id column of --data (else row-N).")] = "id",
    chunk_size: Annotated[int, typer.Option(min=1, help="Notes per chunk.")] = 2_000,
    progress: Annotated[bool, typer.Option(help="Progress bar on stderr.")] = True,
) -> None:
    """Re-score a file of notes: id, p_mental_health, p_drugs, p_weapon, present, routine,
    model_version per note, in input order (scores only, no evidence)."""
    from service.classifier import load_model
    from service.config import get_settings
    from training.score import count_rows, score_file, stderr_progress

    settings = get_settings()
    path = model or settings.model_path
    try:
        loaded = load_model(path, jargon_file=settings.jargon_file)
    except (OSError, ValueError) as exc:  # missing file, untrusted types, not an artifact
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    advance, close = stderr_progress(count_rows(data)) if progress else (None, lambda: None)
    try:
        with _data_errors():
            summary = score_file(
                data, out, loaded, path, workers=workers, text_column=text_column,
                id_column=id_column, chunk_size=chunk_size, jargon_file=settings.jargon_file,
                progress=advance,
            )  # fmt: skip
    finally:
        close()
    typer.echo(f"scored {summary.notes} notes with {summary.model_version} into {summary.out}")


app = typer.Typer(help="Training tools (standalone).", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.command("train")(train)
app.command("evaluate")(evaluate)
app.command("score")(score)

if __name__ == "__main__":
    app()
