"""Resident memory of processes, read from /proc (Linux), for the benchmark scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple


def _status(pid: int) -> Dict[str, str]:
    return dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)


def rss_mb(pid: int) -> float:
    return int(_status(pid).get("VmRSS", "0 kB").split()[0]) / 1024


def process_tree_rss(pid: int) -> List[Tuple[str, float]]:
    """(command, resident MB) of a process and all its descendants."""
    statuses: Dict[int, Dict[str, str]] = {}
    for path in Path("/proc").glob("[0-9]*"):
        try:
            statuses[int(path.name)] = _status(int(path.name))
        except OSError:  # the process ended while we looked
            continue
    children: Dict[int, List[int]] = {}
    for child, fields in statuses.items():
        children.setdefault(int(fields["PPid"]), []).append(child)
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        if current not in statuses:
            continue
        try:
            cmd = Path(f"/proc/{current}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = " ".join(part.decode(errors="replace").rsplit("/", 1)[-1] for part in cmd[:3] if part)
        out.append((name, int(statuses[current].get("VmRSS", "0 kB").split()[0]) / 1024))
    return out
