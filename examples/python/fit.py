"""Fit shunt fraction and O2 consumption to an hour of (synthetic) bedside saturations.

    python examples/python/fit.py
"""
import numpy as np

import openecmo as oe
from vv_ards import vv_ards

exp = vv_ards(1)
# The "patient": known parameters, measured every minute with noise.
truth = oe.Twin(dict(exp, patient={"shunt_fraction": 0.62, "vo2_ml_kg_min": 4.2}))
data = truth.run(3600, sample_interval_s=60, signals=["art_upper_so2", "pre_oxy_so2"])
rng = np.random.default_rng(1)
for s in ("art_upper_so2", "pre_oxy_so2"):
    data[s] = data[s] + rng.normal(0, 0.01, data.rows)
spec = {
    "experiment": exp,
    "starts": 4,
    "parameters": {
        "shunt_fraction": {"min": 0.2, "max": 0.9},
        "vo2_ml_kg_min": {"min": 2.0, "max": 6.0},
        "rq": {"min": 0.7, "max": 1.0},
    },
    "signals": {"art_upper_so2": 0.01, "pre_oxy_so2": 0.01},
}
result = oe.fit(spec, {k: v[1:] for k, v in data.items()})
print(result["report"])
