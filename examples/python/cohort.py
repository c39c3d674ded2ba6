"""A virtual cohort of 200 adults with severe ARDS on VV support for 30 minutes: how does
arterial saturation depend on shunt, O2 consumption, haemoglobin and pump speed?

    python examples/python/cohort.py [OUT_DIR]
"""
import sys

import numpy as np

import openecmo as oe
from vv_ards import PUMP_RPM, SHUNT, vv_ards

spec = {
    "name": "VV ECMO in severe ARDS: 200 virtual patients",
    "patients": 200,
    "sampling": "lhs",
    "seed": 1,
    "experiment": vv_ards(1800),
    "parameters": {
        "shunt_fraction": SHUNT,
        "vo2_ml_kg_min": {"dist": "lognormal", "median": 3.6, "sigma": 0.15},
        "hb_g_dl": {"dist": "normal", "mean": 10, "sd": 1.5, "min": 7, "max": 14},
        "pump_rpm": PUMP_RPM,
    },
    "outputs": {"signals": ["art_upper_so2", "circuit_flow_lpm", "recirculation_fraction"]},
}
out = sys.argv[1] if len(sys.argv) > 1 else "cohort-example"
table = oe.Cohort(spec).run(out=out, progress=True)
sat = table["art_upper_so2_mean"]
print(f"{table.rows} rows; SaO2 median {100 * np.median(sat):.1f} %, "
      f"{np.mean(sat < 0.88) * 100:.0f} % of patients below 88 %")
for p in ("shunt_fraction", "vo2_ml_kg_min", "hb_g_dl", "pump_rpm"):
    print(f"  rank correlation of SaO2 with {p:16s} {np.corrcoef(np.argsort(np.argsort(table[p])), np.argsort(np.argsort(sat)))[0, 1]:+.2f}")
print(f"summary: {out}/summary.html")
