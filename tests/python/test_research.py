"""Cohorts, sensitivity analysis and fitting from Python."""
import copy

import numpy as np
import pytest

import openecmo as oe
from conftest import VV


def vv_experiment(duration_s):
    """conftest's VV experiment run for `duration_s` (a deep copy: tests edit theirs)."""
    return copy.deepcopy(dict(VV, duration_s=duration_s))


def cohort_dict(patients=6, duration=20):
    return {
        "name": "py cohort",
        "patients": patients,
        "block": 2,
        "seed": 7,
        "experiment": vv_experiment(duration),
        "parameters": {
            "shunt_fraction": {"dist": "uniform", "min": 0.3, "max": 0.8},
            "pump_rpm": {"dist": "normal", "mean": 3500, "sd": 300, "min": 2800, "max": 4200},
        },
        "outputs": {"signals": ["art_upper_so2", "circuit_flow_lpm"]},
    }


def test_cohort_in_memory_and_on_disk_agree(tmp_path):
    c = oe.Cohort(cohort_dict())
    assert c.patients == 6 and c.blocks == 3
    assert c.parameters == ["shunt_fraction", "pump_rpm"]
    s = c.samples()
    assert np.all((s["shunt_fraction"] >= 0.3) & (s["shunt_fraction"] <= 0.8))
    mem = c.run(threads=2)
    disk = c.run(out=tmp_path / "c", threads=1)
    assert list(mem) == ["patient", "window", "error", "shunt_fraction", "pump_rpm",
                         "art_upper_so2_mean", "circuit_flow_lpm_mean"]
    for k in mem:
        assert np.array_equal(mem[k], disk[k]), k
    assert mem["patient"].dtype == np.uint32
    assert (tmp_path / "c" / "cohort.parquet").exists()
    assert (tmp_path / "c" / "summary.html").read_text().count("<svg") >= 2
    back = oe.read_parquet(tmp_path / "c" / "cohort.parquet")
    assert np.array_equal(back["art_upper_so2_mean"], mem["art_upper_so2_mean"])
    # Higher shunt, lower arterial saturation, across the sampled patients.
    r = np.corrcoef(mem["shunt_fraction"], mem["art_upper_so2_mean"])[0, 1]
    assert r < -0.3, r
    pa = pytest.importorskip("pyarrow.parquet")
    t = pa.read_table(tmp_path / "c" / "cohort.parquet")
    assert t.num_rows == 6 and t.column("window").to_pylist()[0] == "final"
    assert mem.to_arrow().equals(t)


def test_cohort_errors_have_paths():
    d = cohort_dict()
    d["parameters"]["shunt_fraction"]["max"] = 2.0
    with pytest.raises(oe.InputError) as e:
        oe.Cohort(d)
    assert e.value.path == "parameters.shunt_fraction.max"
    d = cohort_dict()
    d["experiment"]["settings"]["pump_rpm"] = -1
    with pytest.raises(oe.InputError) as e:
        oe.Cohort(d)
    assert e.value.path == "experiment.settings.pump_rpm"


def test_sensitivity_on_the_twin():
    spec = {
        "samples": 8,
        "bootstrap": 50,
        "experiment": vv_experiment(10),
        "parameters": {
            "pump_rpm": {"dist": "uniform", "min": 2500, "max": 4500},
            "rq": {"dist": "uniform", "min": 0.7, "max": 1.0},
        },
        "outputs": {"signals": ["circuit_flow_lpm"]},
    }
    idx, runs = oe.sensitivity(spec, threads=2)
    assert runs.rows == 8 * 4
    flow = {p: (s1, st) for p, s1, st in zip(idx["parameter"], idx["first"], idx["total"])}
    # Pump speed sets the flow; the respiratory quotient does not.
    assert flow["pump_rpm"][1] > 0.8
    assert abs(flow["rq"][1]) < 0.05


def test_fit_recovers_shunt(tmp_path):
    exp = vv_experiment(1)
    truth = oe.Twin(dict(exp, patient={"shunt_fraction": 0.65}))
    data = truth.run(300.0, sample_interval_s=10.0, signals=["art_upper_so2"])
    rng = np.random.default_rng(0)
    data["art_upper_so2"] = data["art_upper_so2"] + rng.normal(0, 0.005, data.rows)
    data = {"time_s": data["time_s"][1:], "art_upper_so2": data["art_upper_so2"][1:]}
    spec = {
        "experiment": exp,
        "starts": 2,
        "max_iterations": 40,
        "parameters": {"shunt_fraction": {"min": 0.3, "max": 0.9}},
        "signals": {"art_upper_so2": 0.005},
    }
    r = oe.fit(spec, data, threads=2)
    est = r["estimates"][0]
    assert abs(est["value"] - 0.65) < 0.03, r["report"]
    assert est["identifiable"]
    assert r["model"].rows == len(data["time_s"])
