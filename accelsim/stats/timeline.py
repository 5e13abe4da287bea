"""Chrome Trace Event timelines (open in Perfetto or chrome://tracing).

One process per chip, one thread per unit; each event is one op's activity on that unit ("ph": "X",
microseconds): from the unit's first instruction of the op to its last, with the busy time as an argument.
A separate "phases" thread spans the prefill and every decode step.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["chrome_trace", "write_chrome_trace"]


def chrome_trace(stats: Any, device: str) -> dict[str, Any]:
    """Build the trace dict from run statistics recorded with ``timeline=True``."""
    if stats.timeline is None:
        raise ValueError("the run was not recorded with a timeline")
    tids = {u: i + 1 for i, u in enumerate(stats.units)}
    events: list[dict[str, Any]] = [
        {"ph": "M", "pid": 1, "tid": 0, "name": "process_name", "args": {"name": device}},
        {"ph": "M", "pid": 1, "tid": 0, "name": "thread_name", "args": {"name": "phases"}},
    ]
    for u, t in tids.items():
        events.append({"ph": "M", "pid": 1, "tid": t, "name": "thread_name", "args": {"name": u}})
    t = 0
    for ph in stats.phases:
        events.append({"ph": "X", "pid": 1, "tid": 0, "name": ph.label, "ts": t / 1e6, "dur": ph.duration_ps / 1e6})
        t += ph.duration_ps
    for phase, op, unit, start, dur, busy in stats.timeline:
        events.append({"ph": "X", "pid": 1, "tid": tids[unit], "name": op, "ts": start / 1e6, "dur": dur / 1e6,
                       "args": {"phase": phase, "busy_us": busy / 1e6}})
    return {"traceEvents": events, "displayTimeUnit": "ns"}


def write_chrome_trace(stats: Any, device: str, path: str) -> None:
    """Write the Chrome trace JSON of a run to ``path``."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(chrome_trace(stats, device), fh)
