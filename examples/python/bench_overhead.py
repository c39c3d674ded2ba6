"""What Python costs over the command line, on the same work (docs/research.md, Speed).

    python examples/python/bench_overhead.py [--ecmo target/release/ecmo] [--patients 100] [--seconds 3600]

1. A cohort (the one `ecmo bench-cohort --print-spec` prints: severe ARDS on VV support, shunt, VO2, Hb and pump
   speed varied) run by `ecmo cohort FILE` and by `openecmo.Cohort(FILE).run()`, both on every
   core, written to Parquet; the two tables must be identical.
2. One patient-hour: `Twin.run(3600)` in one call, against a Python loop that calls
   `Twin.step(1.0)` and `Twin.observe()` every simulated second (a controller written in
   Python), against the CLI's one-patient cohort of the same hour.

Prints wall times and ratios (Python / CLI). Each figure is the median of --repeat runs.
Build the package with the release profile for figures (`maturin develop --release`).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import openecmo as oe



def same(x, y):
    """Column equality to the bit (NaN equals NaN; text compared as lists)."""
    if x.dtype == object or y.dtype == object:
        return list(x) == list(y)
    return x.dtype == y.dtype and x.tobytes() == y.tobytes()


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def median_of(n, f):
    return statistics.median(timed(f) for _ in range(n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ecmo", default="target/release/ecmo")
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=3600.0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "cohort.toml")
        # The benchmark's own cohort file, from the CLI: one definition of the run.
        text = subprocess.run([a.ecmo, "bench-cohort", "--print-spec", "--patients", str(a.patients),
                               "--seconds", str(a.seconds)], check=True, capture_output=True,
                              text=True).stdout
        with open(spec, "w") as f:
            f.write(text)
        runs = {"cli": 0, "py": 0}

        def out(kind):
            # A fresh folder a run: a finished one would only be resumed.
            runs[kind] += 1
            return os.path.join(tmp, f"{kind}-{runs[kind]}")

        def cli():
            subprocess.run([a.ecmo, "cohort", spec, "--out", out("cli"), "--quiet"],
                           check=True, stdout=subprocess.DEVNULL)

        def py():
            oe.Cohort(spec).run(out=out("py"))

        t_cli = median_of(a.repeat, cli)
        t_py = median_of(a.repeat, py)
        one = oe.read_parquet(os.path.join(tmp, f"cli-{runs['cli']}", "cohort.parquet"))
        other = oe.read_parquet(os.path.join(tmp, f"py-{runs['py']}", "cohort.parquet"))
        identical = list(one) == list(other) and all(same(one[c], other[c]) for c in one)
        hours = a.patients * a.seconds / 3600
        print(f"cohort, {a.patients} patients x {a.seconds:.0f} s, every core:")
        print(f"  ecmo cohort            {t_cli:7.2f} s   ({hours / t_cli * 3600:6.0f} patient-hours per hour)")
        print(f"  openecmo.Cohort.run    {t_py:7.2f} s   Python / CLI = {t_py / t_cli:.3f}")
        print(f"  tables identical: {identical}")

    # One patient-hour, one thread.
    def one_call():
        oe.Twin(preset="ards-severe", circuit={"configuration": "vv-femoro-jugular"},
                settings={"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0}).run(a.seconds, 1.0)

    def per_second():
        t = oe.Twin(preset="ards-severe", circuit={"configuration": "vv-femoro-jugular"},
                    settings={"pump_rpm": 3500, "sweep_lpm": 5, "fdo2": 1.0})
        for _ in range(int(a.seconds)):
            t.step(1.0)
            t.observe()

    t_one = median_of(a.repeat, one_call)
    t_loop = median_of(a.repeat, per_second)
    print(f"one patient, {a.seconds:.0f} s, one thread:")
    print(f"  Twin.run (one call)              {t_one:6.2f} s   ({a.seconds / t_one:5.0f}x real time)")
    print(f"  Twin.step(1 s) + observe() loop  {t_loop:6.2f} s   loop / one call = {t_loop / t_one:.3f}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
