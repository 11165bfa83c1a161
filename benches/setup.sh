#!/usr/bin/env bash
# Creates benches/.venv with the peers and a release build of softkit's wheel.
# Run from anywhere:  bash benches/setup.sh            (SKIP_TORCH=1 to leave torch out)
#                     bash benches/setup.sh --softkit  (only rebuild + reinstall softkit)
set -euo pipefail
cd "$(dirname "$0")/.."            # repository root
VENV=benches/.venv
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
fi
# Never let git pick the venv up (python >= 3.13 venvs do the same).
printf '# created by benches/setup.sh\n*\n' > "$VENV/.gitignore"
PIP="$VENV/bin/pip"

if [ "${1:-}" != "--softkit" ]; then
    # everything but torch first, so a failed torch install leaves a usable venv
    grep -vE '^(torch|torchvision)==' benches/requirements.txt | "$PIP" install --quiet -r /dev/stdin
    if [ "${SKIP_TORCH:-0}" != "1" ]; then
        grep -E '^(torch|torchvision|numpy)==' benches/requirements.txt | "$PIP" install --quiet -r /dev/stdin \
            || echo "setup.sh: torch/torchvision could not be installed; the benchmark prints 'not installed' rows" >&2
    fi
fi

# softkit: release wheel (lto = fat, codegen-units = 1 from the workspace profile)
mkdir -p benches/wheels
printf '# created by benches/setup.sh\n*\n' > benches/wheels/.gitignore
rm -f benches/wheels/softkit-*.whl
"$VENV/bin/maturin" build --release -m crates/softkit-py/Cargo.toml -o benches/wheels
"$PIP" install --quiet --force-reinstall --no-deps benches/wheels/softkit-*.whl
"$VENV/bin/python" -c "import softkit; print('softkit', softkit.__version__, 'installed in $VENV')"
