"""Sobol indices of arterial saturation and circuit flow on VV support.

    python examples/python/sensitivity.py
"""
import openecmo as oe

spec = {
    "samples": 64,
    "experiment": {
        "preset": "ards-severe",
        "duration_s": 600,
        "circuit": {"configuration": "vv-femoro-jugular"},
        "settings": {"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0},
    },
    "parameters": {
        "shunt_fraction": {"dist": "uniform", "min": 0.3, "max": 0.8},
        "vo2_ml_kg_min": {"dist": "uniform", "min": 2.5, "max": 5.0},
        "hb_g_dl": {"dist": "uniform", "min": 7, "max": 14},
        "pump_rpm": {"dist": "uniform", "min": 2800, "max": 4200},
    },
    "outputs": {"signals": ["art_upper_so2", "circuit_flow_lpm"]},
}
indices, runs = oe.sensitivity(spec, progress=True)
for row in zip(indices["output"], indices["parameter"], indices["first"], indices["total"]):
    print("{:24s} {:16s} S1 {:6.3f}  ST {:6.3f}".format(*row))
