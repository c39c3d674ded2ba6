import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def root() -> pathlib.Path:
    return ROOT


VV = {
    "preset": "ards-severe",
    "duration_s": 60,
    "circuit": {"configuration": "vv-femoro-jugular"},
    "settings": {"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0},
}


@pytest.fixture
def vv() -> dict:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in VV.items()}
