"""Service levels: how soon each department must first answer a ticket and resolve it, by priority.

`data/service_levels.yml` (the Weibo team's, re-read when it changes) gives a default, overrides
per department, and tighter targets for higher priorities: a ticket's target is its department's
(or the default), or its priority's where that is shorter. The queue shows the time left and can
sort by it; the reports count the tickets that missed their target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Dict, Tuple

import yaml

from bot.errors import ConfigError
from bot.intents import DEPARTMENTS
from bot.watched import Watched

DEFAULT_FILE = Path("data/service_levels.yml")
PRIORITIES = (0, 1, 2)
Pair = Tuple[timedelta, timedelta]  # (first response, resolution)


@dataclass(frozen=True)
class Levels:
    default: Pair = (timedelta(hours=4), timedelta(hours=72))
    departments: Dict[str, Pair] | None = None
    priorities: Dict[int, Tuple[timedelta | None, timedelta | None]] | None = None

    def targets(self, department: str, priority: int) -> Pair:
        first, resolve = (self.departments or {}).get(department, self.default)
        tight_first, tight_resolve = (self.priorities or {}).get(priority, (None, None))
        return (min(first, tight_first) if tight_first else first,
                min(resolve, tight_resolve) if tight_resolve else resolve)

    def first_response(self, department: str, priority: int = 0) -> timedelta:
        return self.targets(department, priority)[0]

    def resolution(self, department: str, priority: int = 0) -> timedelta:
        return self.targets(department, priority)[1]

    def table(self) -> Dict[Tuple[str, int], Tuple[float, float]]:
        """Seconds per (department, priority), for ordering the queue in SQL."""
        return {(d, p): tuple(t.total_seconds() for t in self.targets(d, p))
                for d in DEPARTMENTS for p in PRIORITIES}


def _hours(value, where: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where}: {value!r} is not a number of hours above 0 (write it like 4 or 0.5)")
    return timedelta(hours=float(value))


def _pair(data, where: str, base: Pair | None) -> Tuple[timedelta | None, timedelta | None]:
    if not isinstance(data, dict) or set(data) - {"first_response", "resolution"}:
        raise ConfigError(f"{where}: write {{first_response: HOURS, resolution: HOURS}}")
    first = _hours(data["first_response"], f"{where}.first_response") if "first_response" in data else None
    resolve = _hours(data["resolution"], f"{where}.resolution") if "resolution" in data else None
    if base is not None:
        return first or base[0], resolve or base[1]
    return first, resolve


def load(path: Path = DEFAULT_FILE) -> Levels:
    if not Path(path).exists():
        return Levels()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    unknown = set(data) - {"default", "departments", "priorities"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}: use default, departments, priorities")
    default = _pair(data.get("default") or {}, f"{path}: default", Levels().default)
    departments = {}
    for name, value in (data.get("departments") or {}).items():
        if name not in DEPARTMENTS:
            raise ConfigError(f"{path}: unknown department {name!r}: use one of {', '.join(DEPARTMENTS)}")
        departments[name] = _pair(value, f"{path}: departments.{name}", default)
    priorities = {}
    for level, value in (data.get("priorities") or {}).items():
        if level not in PRIORITIES:
            raise ConfigError(f"{path}: priority {level!r}: use 0 (普通), 1 (较高) or 2 (紧急)")
        priorities[level] = _pair(value, f"{path}: priorities.{level}", None)
    return Levels(default, departments, priorities)


def watch_levels(path: Path = DEFAULT_FILE) -> Watched[Levels]:
    """The file's levels, read again when it changes (staff edit it while the bot runs)."""
    return Watched(path, load, Levels())
