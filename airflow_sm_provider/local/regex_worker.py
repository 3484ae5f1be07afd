"""The process that runs a job's metric regexes (standard library only; started with ``-I``).

A catastrophic regex holds the GIL for as long as it backtracks, so it cannot run in the
backend's process without stalling every request; here it stalls only this process, which the
backend kills after a time limit (``matching``). The backend's death kills it too (its
parent-death signal), even in the middle of a search.

Protocol, one JSON document per line. In: the list of regexes (answered ``ready``), then for each output line
``{"line": text, "enabled": [indexes]}``. Out, per output line: ``"s <index>"`` before each
search starts (so the backend knows which regex was running when time ran out), then
``"r <json>"``: ``[[index, captured text], ...]`` for the regexes that matched.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> int:
    parent = int(sys.argv[1])
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        return 1
    patterns = [re.compile(text) for text in json.loads(sys.stdin.readline())]
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for raw in sys.stdin:
        request = json.loads(raw)
        line, found = request["line"], []
        for index in request["enabled"]:
            out.write(f"s {index}\n")
            out.flush()
            match = patterns[index].search(line)
            if match is not None:
                found.append([index, match.group(1) if patterns[index].groups else match.group(0)])
        out.write(f"r {json.dumps(found)}\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
