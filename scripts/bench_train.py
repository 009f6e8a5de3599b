"""Training time from scratch: `bot train` into an empty directory, start to model file.

usage: .venv/bin/python scripts/bench_train.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    out = Path(tempfile.mkdtemp(prefix="bench-train-"))
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "bot"), "train", "--out", str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    print(f"bot train from scratch: {seconds:.0f} s (model {next(out.glob('*.tar.gz')).stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
