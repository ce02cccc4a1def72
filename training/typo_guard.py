"""Regenerate ``service/classifier/protected_words.txt``: English words the typo restorer must
leave alone because they lie one or two edits from a cue word ("needed" / needle, "starting" /
stabbing, "forearm" / firearm).

Needs an English word list such as Debian's ``wamerican`` (``/usr/share/dict/american-english``).
Run: ``.venv/bin/python -m training.typo_guard [WORDLIST]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from service.classifier.lexicon import TYPO_TARGETS
from service.classifier.typos import TypoCorrector

TARGET = Path(__file__).resolve().parent.parent / "service" / "classifier" / "protected_words.txt"
# Rare English words that are, in dispatch notes, almost always a typo of a cue word.
STILL_CORRECT = {"overdoes", "riffle", "riffles", "pistil", "pistils", "heroine", "heroines"}


def protected_words(wordlist: Path) -> list[str]:
    """Words of ``wordlist`` that the unguarded corrector would change."""
    words = {
        w.strip().lower()
        for w in wordlist.read_text(encoding="utf-8", errors="ignore").splitlines()
        if w.strip().isalpha() and w.strip().isascii()
    }
    corrector = TypoCorrector(TYPO_TARGETS, [])
    return sorted(
        w for w in words if len(w) >= 4 and w not in STILL_CORRECT and corrector.correct(w) != w
    )


def main(argv: list[str]) -> None:
    """Write the protected-word file."""
    source = Path(argv[1] if len(argv) > 1 else "/usr/share/dict/american-english")
    header = (
        "# English words one or two edits away from a cue word (see typos.py): never corrected.\n"
        f"# Derived from {source.name} (SCOWL word list) by training/typo_guard.py.\n"
    )
    TARGET.write_text(header + "\n".join(protected_words(source)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
