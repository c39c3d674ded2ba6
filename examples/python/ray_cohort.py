"""The cohort of cohort.py on a Ray cluster (a local one unless RAY_ADDRESS is set).

    pip install "ray>=2.9" pyarrow
    python examples/python/ray_cohort.py            # local Ray instance
    RAY_ADDRESS=auto python examples/python/ray_cohort.py   # on a cluster's head node
"""
import os

from openecmo.ray import run_cohort

spec = {
    "patients": 40,
    "block": 5,
    "experiment": {
        "preset": "ards-severe",
        "duration_s": 600,
        "circuit": {"configuration": "vv-femoro-jugular"},
        "settings": {"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0},
    },
    "parameters": {"shunt_fraction": {"dist": "uniform", "min": 0.3, "max": 0.8}},
}
table = run_cohort(spec, out="ray-cohort.parquet", address=os.environ.get("RAY_ADDRESS"))
print(f"{table.rows} rows gathered into ray-cohort.parquet")
