"""The cohort of cohort.py on a Ray cluster (a local one unless RAY_ADDRESS is set).

    pip install "ray>=2.9" pyarrow
    python examples/python/ray_cohort.py            # local Ray instance
    RAY_ADDRESS=auto python examples/python/ray_cohort.py   # on a cluster's head node
"""
import os

from openecmo.ray import run_cohort
from vv_ards import SHUNT, vv_ards

spec = {
    "patients": 40,
    "block": 5,
    "experiment": vv_ards(600),
    "parameters": {"shunt_fraction": SHUNT},
}
table = run_cohort(spec, out="ray-cohort.parquet", address=os.environ.get("RAY_ADDRESS"))
print(f"{table.rows} rows gathered into ray-cohort.parquet")
