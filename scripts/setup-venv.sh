#!/usr/bin/env bash
# Create .venv from Python 3.10 (rasa 3.6.21 needs >=3.8,<3.11) and install the project with the
# pinned versions of requirements.lock. Re-running is a no-op when nothing changed (make tracks it).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv

find_python() {
  local cand
  for cand in "${PYTHON310:-}" python3.10; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      command -v "$cand"; return 0
    fi
  done
  # pyenv installs 3.10 but its shim refuses it unless the version is selected: ask pyenv directly.
  if command -v pyenv >/dev/null 2>&1; then
    for cand in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do
      if [ -x "$cand" ]; then echo "$cand"; return 0; fi
    done
  fi
  return 1
}

if ! PY=$(find_python); then
  echo "error: Python 3.10 not found (rasa 3.6.21 needs Python >=3.8,<3.11)." >&2
  echo "fix: install it, e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10 python3.10-venv'," >&2
  echo "     or point PYTHON310 at a python3.10 binary: PYTHON310=/path/to/python3.10 make setup" >&2
  exit 1
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  rm -rf "$VENV"
  echo "creating $VENV from $PY"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade "pip<27" "setuptools==70.3.0" wheel 2>&1 | { grep -v "^WARNING: Location" || true; }
# One resolution for everything: the lock pins rasa and all its dependencies together.
"$VENV/bin/python" -m pip install --quiet -r requirements.lock 2>&1 | { grep -v "^WARNING: Location" || true; }
"$VENV/bin/python" -m pip install --quiet --no-deps -e .
"$VENV/bin/python" -m pip check
touch "$VENV/.installed"
