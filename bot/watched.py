"""A settings file the team edits while the bot runs: parsed again whenever it changes."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Watched(Generic[T]):
    """`load(path)` of the file as it is now; `missing` while there is no file."""

    def __init__(self, path: Path, load: Callable[[Path], T], missing: T) -> None:
        self.path = Path(path)
        self._load = load
        self._missing = missing
        self._stamp: tuple | None = None
        self._value = missing

    def current(self) -> T:
        try:
            stat = self.path.stat()
            stamp: tuple | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._value = self._load(self.path) if stamp else self._missing
            self._stamp = stamp
        return self._value
