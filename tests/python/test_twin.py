"""The twin, experiments, control in the loop and the bench from Python."""
import threading
import time

import numpy as np
import pytest

import openecmo as oe


def test_vocabulary():
    assert "ards-severe" in oe.presets()
    assert "va-femoral" in oe.configurations()
    p = oe.preset("ards-severe")
    assert p["patient"]["shunt_fraction"] == pytest.approx(0.5)
    names = [f["name"] for f in oe.patient_fields()]
    assert "shunt_fraction" in names and "weight_kg" in names
    assert any(s["name"] == "art_upper_so2" for s in oe.signals())
    assert any(e["name"] == "return_kink" for e in oe.events())


def test_twin_steps_actuates_and_observes():
    t = oe.Twin(preset="ards-severe", circuit={"configuration": "vv-femoro-jugular"},
                settings={"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0}, seed=1)
    t.step(30.0)
    assert t.time_s == pytest.approx(30.0)
    o = t.observe()
    assert 3.0 < o["circuit_flow_lpm"] < 7.0
    t.set(pump_rpm=2500)
    table = t.run(30.0, sample_interval_s=0.5, signals=["circuit_flow_lpm", "art_upper_so2"])
    assert list(table) == ["time_s", "circuit_flow_lpm", "art_upper_so2"]
    assert isinstance(table["circuit_flow_lpm"], np.ndarray)
    assert table.rows == 61
    assert table["time_s"][0] == pytest.approx(30.0)
    # Less speed, less flow.
    assert table["circuit_flow_lpm"][-1] < o["circuit_flow_lpm"] - 0.5
    # An event changes the circuit: a severe return kink cuts the flow.
    before = t.observe()["circuit_flow_lpm"]
    t.event("return_kink", severity=0.9)
    t.step(10.0)
    assert t.observe()["circuit_flow_lpm"] < before


def test_fork_and_seed_are_deterministic():
    a = oe.Twin(preset="ards-severe", seed=3)
    a.step(5.0)
    b = a.fork()
    ra = a.run(10.0, signals=["map_mmhg"])
    rb = b.run(10.0, signals=["map_mmhg"])
    assert np.array_equal(ra["map_mmhg"], rb["map_mmhg"])
    c = oe.Twin(preset="ards-severe", seed=3)
    c.step(5.0)
    assert np.array_equal(c.run(10.0, signals=["map_mmhg"])["map_mmhg"], ra["map_mmhg"])


def test_errors_are_input_errors_with_field_paths(vv):
    vv["circuit"]["drainage_fr"] = 99
    with pytest.raises(oe.InputError) as e:
        oe.Twin(vv)
    assert e.value.path == "circuit.drainage_fr"
    assert e.value.file == "<dict>" and e.value.line is None
    assert "out of range" in str(e.value)
    t = oe.Twin(preset="ards-severe")
    with pytest.raises(oe.InputError) as e:
        t.set(pump_rpm=-5)
    assert e.value.path == "settings.pump_rpm"
    with pytest.raises(oe.InputError) as e:
        t.event("return_kink", severity=7)
    assert e.value.path == "event.severity"
    with pytest.raises(oe.InputError) as e:
        t.event("meteor")
    assert e.value.path == "event.kind"


def test_file_errors_name_file_and_line(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text('preset = "ards-severe"\nduration_s = 60\n[circuit]\ndrainage_fr = 99\n')
    with pytest.raises(oe.InputError) as e:
        oe.run_experiment(f)
    assert e.value.line == 4 and e.value.path == "circuit.drainage_fr"
    assert str(e.value).startswith(f"{f}:4: `circuit.drainage_fr`")


def test_run_experiment_dict_and_file_agree(vv, tmp_path, root):
    vv["output"] = {"sample_interval_s": 5}
    r = oe.run_experiment(vv)
    assert 0.0 < r.mean("art_upper_so2") <= 1.0
    assert r.series.rows == 13
    assert "circuit_flow_lpm" in r.series
    f = tmp_path / "vv.toml"
    f.write_text('preset = "ards-severe"\nduration_s = 60\n[circuit]\nconfiguration = "vv-femoro-jugular"\n'
                 '[settings]\npump_rpm = 3500\nsweep_lpm = 5\nfdo2 = 1.0\n[output]\nsample_interval_s = 5\n')
    r2 = oe.run_experiment(f)
    assert np.array_equal(r.series["art_upper_so2"], r2.series["art_upper_so2"])
    assert r.summary == r2.summary
    pa = pytest.importorskip("pyarrow")
    assert isinstance(r.series.to_arrow(), pa.Table)


def test_gil_is_released_while_simulating():
    # Two twins on two Python threads take about the time of one when the GIL is released
    # (on a machine with two free cores; the bound is loose for a shared machine).
    def work():
        oe.Twin(preset="ards-severe").step(120.0)

    t0 = time.perf_counter()
    work()
    one = time.perf_counter() - t0
    ticks = []
    th = threading.Thread(target=work)
    t0 = time.perf_counter()
    th.start()
    while th.is_alive():
        ticks.append(time.perf_counter())
        time.sleep(0.005)
    th.join()
    # The main thread kept running Python while the twin stepped.
    assert len(ticks) > 0.3 * one / 0.005, (len(ticks), one)


def test_sil_runs_the_control_core():
    s = oe.Sil(preset="ards-severe", circuit={"configuration": "vv-femoro-jugular"})
    assert s.mode() == "standby"
    s.command("set_rpm", 3500)
    s.command("set_mode", "rpm")
    s.command("set_sweep", 5)
    s.command("set_fdo2", 1.0)
    r = s.run(30.0, sample_interval_s=1.0, signals=["circuit_flow_lpm"])
    assert s.mode() == "rpm"
    assert r["command_pump_rpm"][-1] == pytest.approx(3500)
    assert r["circuit_flow_lpm"][-1] > 2.0
    with pytest.raises(oe.InputError):
        s.command("set_rpm", 99999)
    with pytest.raises(oe.InputError):
        s.command("warp_drive", 1)


def test_bench():
    speeds = oe.bench_sim(seconds=2.0, threads=1)
    assert len(speeds) == 3 and all(s["ratio"] > 10 for s in speeds)
    names = [c["name"] for c in oe.catalogue()]
    assert "quadrox-adult" in names
    ox = oe.bench_oxygenator("quadrox-adult")
    assert ox.rows > 3 and np.all(ox["o2_ml_min"] > 0)
    with pytest.raises(ValueError):
        oe.bench_oxygenator("rotaflow")
