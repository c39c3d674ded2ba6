"""The experiment the Python research examples start from: severe ARDS on VV support
(femoro-jugular, 3500 rpm, sweep 5 L/min, FdO2 1), as a dict in the experiment schema
(docs/experiments.md), and the distributions the cohort and sensitivity examples sample.
"""


def vv_ards(duration_s: float) -> dict:
    """Severe ARDS on VV support for ``duration_s`` seconds."""
    return {
        "preset": "ards-severe",
        "duration_s": duration_s,
        "circuit": {"configuration": "vv-femoro-jugular"},
        "settings": {"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0},
    }


#: Shunt of 30-80 % of pulmonary flow: severe ARDS.
SHUNT = {"dist": "uniform", "min": 0.3, "max": 0.8}
#: Pump speeds around the experiment's 3500 rpm.
PUMP_RPM = {"dist": "uniform", "min": 2800, "max": 4200}
