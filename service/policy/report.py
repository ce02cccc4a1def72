"""Rendering a policy simulation: a Markdown report (readable in a terminal) and a PNG plot."""

from __future__ import annotations

from pathlib import Path

from service.policy.simulate import Simulation


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def transition_table(sim: Simulation, modes: list[str]) -> list[str]:
    """Rows: mode as recommended; columns: mode under the candidate."""
    rows = []
    for before in modes:
        counts = [sim.modes.get((before, after), 0) for after in modes]
        if any(counts):
            rows.append([before, *map(str, counts), str(sum(counts))])
    return _table(["as recommended \\ candidate", *modes, "total"], rows)


def per_day_table(sim: Simulation, modes: list[str]) -> list[str]:
    """Calls per day by mode, before and after, with the change."""
    before, after = sim.per_day(0), sim.per_day(1)
    rows = []
    for mode in modes:
        old, new = before.get(mode, 0.0), after.get(mode, 0.0)
        if old or new:
            rows.append([mode, f"{old:.2f}", f"{new:.2f}", f"{new - old:+.2f}"])
    return _table(["mode", "as recommended", "candidate", "change"], rows)


def backup_table(sim: Simulation) -> list[str]:
    """Backup level as recommended (rows) against the candidate's (columns)."""
    rows = []
    for before in range(4):
        counts = [sim.backups.get((before, after), 0) for after in range(4)]
        if any(counts):
            rows.append([str(before), *map(str, counts)])
    return _table(["backup as recommended \\ candidate", "0", "1", "2", "3"], rows)


def markdown_report(sim: Simulation, modes: list[str]) -> str:
    """The whole report as Markdown."""
    raised = sum(c for (b, a), c in sim.backups.items() if a > b)
    lowered = sum(c for (b, a), c in sim.backups.items() if a < b)
    changed = sum(c for (b, a), c in sim.modes.items() if a != b)
    lines = [
        f"# Policy simulation: candidate {sim.candidate_version}",
        "",
        f"- calls replayed: {sim.calls} over {sim.day_count} days",
        f"- notes purged (phrase conditions could not match): {sim.purged_notes}",
        f"- response mode changed: {changed} ({_percent(changed, sim.calls)})",
        f"- backup raised: {raised}; lowered: {lowered}",
        f"- needs review: {_percent(sim.review_before, sim.calls)} as recommended, "
        f"{_percent(sim.review_after, sim.calls)} under the candidate",
        "",
        "## Calls per day by response mode",
        "",
        *per_day_table(sim, modes),
        "",
        "## Response mode transitions",
        "",
        *transition_table(sim, modes),
        "",
        "## Backup level shifts",
        "",
        *backup_table(sim),
        "",
    ]
    return "\n".join(lines)


def plot(sim: Simulation, modes: list[str], path: Path) -> None:
    """Calls per day by mode (as recommended vs candidate) and the backup level mix, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before, after = sim.per_day(0), sim.per_day(1)
    shown = [m for m in modes if before.get(m) or after.get(m)] or modes
    positions = range(len(shown))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=[3, 1])
    width = 0.4
    left.bar(
        [p - width / 2 for p in positions],
        [before.get(m, 0) for m in shown],
        width,
        label="as recommended",
    )
    left.bar(
        [p + width / 2 for p in positions],
        [after.get(m, 0) for m in shown],
        width,
        label=f"candidate {sim.candidate_version}",
    )
    left.set_xticks(list(positions), shown, rotation=20, ha="right")
    left.set_ylabel("calls per day")
    left.set_title(f"{sim.calls} calls over {sim.day_count} days")
    left.legend()
    levels = range(4)
    right.bar(
        [lv - width / 2 for lv in levels],
        [sum(c for (b, _), c in sim.backups.items() if b == lv) for lv in levels],
        width,
    )
    right.bar(
        [lv + width / 2 for lv in levels],
        [sum(c for (_, a), c in sim.backups.items() if a == lv) for lv in levels],
        width,
    )
    right.set_xticks(list(levels))
    right.set_xlabel("backup level")
    right.set_title("calls by backup level")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
