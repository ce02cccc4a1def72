"""Vocabulary of the synthetic note generator (YAML files in this folder)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

VOCAB_DIR = Path(__file__).parent
TAG_FILES = ("mental_health", "drugs", "weapon")


@lru_cache(maxsize=4)
def load_vocab(directory: str = str(VOCAB_DIR)) -> dict[str, Any]:
    """All vocabulary files of ``directory`` keyed by file stem."""
    root = Path(directory)
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(root.glob("*.yaml"))
    }


def count_phrasings(vocab: dict[str, Any]) -> dict[str, int]:
    """Distinct cue and routine phrasings (the issue asks for at least 300 of each)."""
    cues = set()
    for tag in TAG_FILES:
        for templates in vocab[tag]["cues"].values():
            cues.update(templates)
    cues.update(text for _, text in vocab["multi"])
    return {
        "cue_phrasings": len(cues),
        "routine_phrasings": len(set(vocab["routine"]["incidents"])),
    }
