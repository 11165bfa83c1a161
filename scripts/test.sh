#!/usr/bin/env bash
# The whole test suite, from a fresh clone: Rust (unit, integration, doc tests), lints and docs,
# then the Python package built into a local venv and tested against its reference libraries.
set -euo pipefail
cd "$(dirname "$0")/.."

# Making a venv failed once on CI in ensurepip (exit 1, cause not printed): retry, then make it
# without ensurepip and bootstrap pip with the system's own pip.
make_venv() {
    local venv=$1
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1 && return 0
    for attempt in 1 2; do
        rm -rf "$venv"
        python3 -m venv "$venv" && return 0
        echo "python3 -m venv $venv failed (attempt $attempt); disk and temp dir:" >&2
        df -h . "${TMPDIR:-/tmp}" >&2 || true
        sleep 5
    done
    rm -rf "$venv"
    python3 -m venv --without-pip "$venv"
    python3 -m pip --python "$venv/bin/python" install --quiet --disable-pip-version-check pip
}
# A package index can drop a connection now and then: each install is tried up to three times.
install() {
    local venv=$1 requirements=$2
    make_venv "$venv"
    for attempt in 1 2 3; do
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" && return 0
        echo "pip install -r $requirements failed (attempt $attempt of 3)" >&2
        sleep $((attempt * 10))
    done
    return 1
}
install .venv python/requirements-test.txt
# The MOT metrics references (py-motmetrics, TrackEval) need numpy < 2: a venv of their own.
install .venv-mot python/requirements-mot.txt
export SOFTKIT_MOT_PYTHON="$PWD/.venv-mot/bin/python"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
cargo test --workspace --exclude softkit-py

# The Python suite drives the CLI binary that `cargo test` just built, wherever the target dir is.
SOFTKIT_BIN="$(cargo metadata --format-version 1 --no-deps | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/softkit"
export SOFTKIT_BIN

# Editable install into .venv, built once in the dev profile that `cargo test` already compiled.
VIRTUAL_ENV="$PWD/.venv" .venv/bin/maturin develop --quiet -m crates/softkit-py/Cargo.toml
.venv/bin/python -m pytest -q python/tests crates/softkit-py/python/softkit --doctest-modules
