"""Run a command and write its peak resident memory: ``python -m bench.maxrss REPORT CMD...``.

Linux keeps a process's ``ru_maxrss`` across ``exec``: a child forked from a large process (the
benchmark, holding a million generated notes) reports at least the parent's size, whatever it
uses itself. This small wrapper forks the command from a fresh interpreter (about 10 MiB), so
the figure it writes to REPORT (JSON: ``maxrss_kib``, ``exit_code``) is the command's own peak
within that floor. Its exit status is the command's.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    """Fork, exec ``argv[1:]``, wait, write the report to ``argv[0]``."""
    report, command = argv[0], argv[1:]
    pid = os.fork()
    if pid == 0:  # pragma: no cover - replaced by exec
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w", encoding="utf-8") as handle:
        json.dump({"maxrss_kib": usage.ru_maxrss, "exit_code": code}, handle)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
