"""Sobol indices of arterial saturation and circuit flow on VV support.

    python examples/python/sensitivity.py
"""
import openecmo as oe
from vv_ards import PUMP_RPM, SHUNT, vv_ards

spec = {
    "samples": 64,
    "experiment": vv_ards(600),
    "parameters": {
        "shunt_fraction": SHUNT,
        "vo2_ml_kg_min": {"dist": "uniform", "min": 2.5, "max": 5.0},
        "hb_g_dl": {"dist": "uniform", "min": 7, "max": 14},
        "pump_rpm": PUMP_RPM,
    },
    "outputs": {"signals": ["art_upper_so2", "circuit_flow_lpm"]},
}
indices, runs = oe.sensitivity(spec, progress=True)
for row in zip(indices["output"], indices["parameter"], indices["first"], indices["total"]):
    print("{:24s} {:16s} S1 {:6.3f}  ST {:6.3f}".format(*row))
