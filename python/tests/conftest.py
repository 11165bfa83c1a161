"""Shared paths and fixtures for the softkit Python suite."""

import os
import pathlib

import pytest

# Runs in the MOT reference venv (SOFTKIT_MOT_PYTHON), whose packages this venv does not have.
collect_ignore = ["mot_reference.py"]

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"


def data_file(*parts: str) -> pathlib.Path:
    """A file of ../shared/data; a missing file fails the test with the path it expected."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"test data missing: expected {path} (../shared/data beside the repository)")
    return path


@pytest.fixture(scope="session")
def softkit_bin() -> pathlib.Path:
    """The CLI binary that the test command built with `cargo test`."""
    path = pathlib.Path(os.environ.get("SOFTKIT_BIN", REPO / "target" / "debug" / "softkit"))
    if not path.exists():
        pytest.fail(f"softkit binary missing at {path}: run the README's test command, which builds it")
    return path
