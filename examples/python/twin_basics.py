"""Step the twin from Python: a VV patient with severe ARDS, a pump speed change, a kink.

    python examples/python/twin_basics.py
"""
import openecmo as oe

twin = oe.Twin(
    preset="ards-severe",
    circuit={"configuration": "vv-femoro-jugular"},
    settings={"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0},
    seed=1,
)
first = twin.run(120, sample_interval_s=10, signals=["circuit_flow_lpm", "art_upper_so2"])
twin.set(pump_rpm=4200)
second = twin.run(120, sample_interval_s=10, signals=["circuit_flow_lpm", "art_upper_so2"])
twin.event("return_kink", severity=0.7)
third = twin.run(60, sample_interval_s=10, signals=["circuit_flow_lpm", "art_upper_so2"])
for label, t in (("3500 rpm", first), ("4200 rpm", second), ("return kink", third)):
    print(f"{label:12s} flow {t['circuit_flow_lpm'][-1]:.2f} L/min, SaO2 {100 * t['art_upper_so2'][-1]:.1f} %")
