#!/usr/bin/env bash
# Install rrbench with every extra (hf, api, sim, dev) on a fresh Debian machine, and rrb-libero's LIBERO environment.
#
# - System packages: EGL/OSMesa for MuJoCo offscreen rendering, Chromium for the site tests.
# - Python: a virtualenv outside the clone, keyed by a hash of pyproject.toml and this script,
#   so repeated runs (and CI) reuse it; ./.venv links to it.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6 chromium"
missing=""
for pkg in $APT_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "setup: installing system packages:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PYTHON=${PYTHON:-python3}
key=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
venv=${RRBENCH_VENV:-$HOME/.cache/rrbench/venv-$key}
if [ ! -f "$venv/.complete" ]; then
  echo "setup: creating $venv (first run takes a few minutes: torch, transformers, metaworld)"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -e ".[dev]"
  touch "$venv/.complete"
else
  # The cached venv may point at another clone: re-link the editable install to this one.
  "$venv/bin/pip" install -q --no-deps --no-build-isolation -e . >/dev/null
fi
ln -sfn "$venv" .venv
# rrb-libero's worker runs in a managed environment of its own (LIBERO pins numpy 1.26 and mujoco 2.3.7);
# it is keyed by its requirement list and created once (about 650 MB).
"$venv/bin/python" -c "from roboreward_bench.libero.environment import ensure_env; ensure_env()"
echo "setup: ready — use .venv/bin/rrbench (or: source .venv/bin/activate)"
