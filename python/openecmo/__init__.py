"""OpenECMO from Python: the digital twin, experiments, the control core in the loop, the
virtual bench, virtual cohorts, global sensitivity analysis and fitting to a patient.

Everything runs in Rust (the ``_native`` module) with the GIL released while it simulates;
results come back as numpy arrays in a :class:`Table` (a dict of columns) that converts to
pandas or pyarrow when those are installed. Files and dicts use the formats of the ``ecmo``
command (docs/experiments.md, docs/research.md), and errors are :class:`InputError` with the
same file, line and field path. See docs/research.md for a tour.
"""
from __future__ import annotations

import json
import os
import sqlite3
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from .errors import CommandRefused, InputError

__version__: str = _native.__version__
#: The twin's fixed step, s.
DT_S: float = _native.DT_S

Source = Union[str, "os.PathLike[str]", Mapping[str, Any]]

__all__ = [
    "CommandRefused",
    "Cohort",
    "DT_S",
    "InputError",
    "Sil",
    "Table",
    "Twin",
    "bench_oxygenator",
    "bench_pump",
    "bench_sim",
    "catalogue",
    "configurations",
    "events",
    "fit",
    "patient_fields",
    "preset",
    "presets",
    "read_parquet",
    "read_recording",
    "run_experiment",
    "sensitivity",
    "setting_fields",
    "signals",
]


class Table(dict):
    """Columns by name: numpy arrays of equal length (float64, uint32, or object for text).

    ``to_pandas()`` and ``to_arrow()`` convert when pandas or pyarrow is installed.
    """

    @property
    def rows(self) -> int:
        return len(next(iter(self.values()))) if self else 0

    def to_arrow(self) -> "Any":
        import pyarrow as pa

        # The schema of the Parquet files the cohorts write: numeric columns cannot be null
        # (NaN is a value), text columns (window, error) can.
        arrays, fields = [], []
        for k, v in self.items():
            if v.dtype == object:
                a = pa.array(list(v), type=pa.string())
                fields.append(pa.field(k, a.type, nullable=True))
            else:
                a = pa.array(v)
                fields.append(pa.field(k, a.type, nullable=False))
            arrays.append(a)
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def to_pandas(self) -> "Any":
        import pandas as pd

        return pd.DataFrame({k: v for k, v in self.items()})

    def to_parquet(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Write as Parquet (through the package's own writer: no pyarrow needed)."""
        _native.write_parquet(os.fspath(path), _raw(self))


def _column(kind: str, payload: Any) -> np.ndarray:
    if kind == "f8":
        return np.frombuffer(payload, dtype="<f8").copy()
    if kind == "u4":
        return np.frombuffer(payload, dtype="<u4").copy()
    return np.array(payload, dtype=object)


def _table(raw: Mapping[str, Tuple[str, Any]]) -> Table:
    return Table((k, _column(kind, p)) for k, (kind, p) in raw.items())


def _raw(t: Mapping[str, np.ndarray]) -> Dict[str, Tuple[str, Any]]:
    out: Dict[str, Tuple[str, Any]] = {}
    for k, v in t.items():
        v = np.asarray(v)
        if v.dtype == object or v.dtype.kind in "US":
            out[k] = ("str", [None if x is None else str(x) for x in v])
        elif v.dtype.kind == "u":
            out[k] = ("u4", np.ascontiguousarray(v, dtype="<u4").tobytes())
        else:
            out[k] = ("f8", np.ascontiguousarray(v, dtype="<f8").tobytes())
    return out


def _source(src: Source) -> Any:
    return dict(src) if isinstance(src, Mapping) else os.fspath(src)


# ------------------------------------------------------------------------------------------
# Vocabulary


def presets() -> List[str]:
    """Names of the patient presets (``ards-severe``, ``cardiogenic-shock``, …)."""
    return _native.presets()


def preset(name: str) -> Dict[str, Dict[str, Any]]:
    """A preset's ``patient``, ``circuit`` and default ``settings``."""
    return _native.preset(name)


def configurations() -> List[str]:
    """Circuit configurations (``vv-femoro-jugular``, ``va-femoral``, …)."""
    return _native.configurations()


def _rows(rows: Iterable[Tuple[Any, ...]], keys: Sequence[str]) -> List[Dict[str, Any]]:
    return [dict(zip(keys, r)) for r in rows]


def patient_fields() -> List[Dict[str, Any]]:
    """Patient parameters: name, unit, min, max, doc."""
    return _rows(_native.patient_fields(), ("name", "unit", "min", "max", "doc"))


def setting_fields() -> List[Dict[str, Any]]:
    """Settings (the twin's actuation): name, unit, min, max, doc."""
    return _rows(_native.setting_fields(), ("name", "unit", "min", "max", "doc"))


def signals() -> List[Dict[str, str]]:
    """Recordable signals: name, unit, doc."""
    return _rows(_native.signal_list(), ("name", "unit", "doc"))


def events() -> List[Dict[str, str]]:
    """Events: name, the key of its value, doc."""
    return _rows(_native.event_list(), ("name", "field", "doc"))


# ------------------------------------------------------------------------------------------
# The twin and the control core


def _experiment(
    experiment: Optional[Source],
    preset: Optional[str],
    patient: Optional[Mapping[str, float]],
    circuit: Optional[Mapping[str, Any]],
    settings: Optional[Mapping[str, float]],
    seed: int,
) -> Any:
    if experiment is not None:
        return _source(experiment)
    d: Dict[str, Any] = {"duration_s": 1, "seed": seed}
    if preset is not None:
        d["preset"] = preset
    for key, val in (("patient", patient), ("circuit", circuit), ("settings", settings)):
        if val:
            d[key] = dict(val)
    return d


class _Simulation:
    """What the twin and the control loop both answer: their time, their signals and their
    settings now, events, and runs sampled into a :class:`Table`."""

    def __init__(self, native: Any) -> None:
        self._n = native

    @property
    def time_s(self) -> float:
        """Simulated time, s."""
        return self._n.time_s

    def _run(self, seconds: float, sample_interval_s: float, signals: Optional[Sequence[str]]) -> Table:
        return _table(self._n.run(seconds, sample_interval_s, None if signals is None else list(signals)))

    def observe(self) -> Dict[str, float]:
        """Every signal now."""
        return self._n.observe()

    def actuation(self) -> Dict[str, float]:
        """The settings in force."""
        return self._n.actuation()

    def event(self, kind: str, **value: Any) -> None:
        """Something happens: ``twin.event("return_kink", severity=0.8)``."""
        self._n.event({"kind": kind, **value})


class Twin(_Simulation):
    """The digital twin, stepped from Python with open-loop settings.

    Build it from a preset and overrides (``Twin(preset="ards-severe", settings={"pump_rpm":
    3500})``) or from an experiment (a file path or a dict in that schema). Same configuration
    and seed, same numbers.
    """

    def __init__(
        self,
        experiment: Optional[Source] = None,
        *,
        preset: Optional[str] = None,
        patient: Optional[Mapping[str, float]] = None,
        circuit: Optional[Mapping[str, Any]] = None,
        settings: Optional[Mapping[str, float]] = None,
        seed: int = 0,
    ) -> None:
        super().__init__(_native.Twin(_experiment(experiment, preset, patient, circuit, settings, seed)))

    def step(self, seconds: float = DT_S) -> None:
        """Advance by ``seconds`` (whole 2 ms steps)."""
        self._n.step(seconds)

    def run(self, seconds: float, sample_interval_s: float = 1.0, signals: Optional[Sequence[str]] = None) -> Table:
        """Advance by ``seconds``, sampling ``signals`` (all when None) every
        ``sample_interval_s`` from now on; ``time_s`` first."""
        return self._run(seconds, sample_interval_s, signals)

    def set(self, **settings: float) -> None:
        """Change settings (``twin.set(pump_rpm=3800, sweep_lpm=5)``), each within its range."""
        self._n.set(settings)

    def patient(self) -> Dict[str, float]:
        """The patient's parameters now."""
        return self._n.patient()

    def fork(self) -> "Twin":
        """An exact, independent copy: run two futures from one present."""
        t = Twin.__new__(Twin)
        _Simulation.__init__(t, self._n.fork())
        return t


class Sil(_Simulation):
    """The control core (``control::Controller``) in the loop with the twin, as the console runs
    it: commands go through the controller's validation; alarms and interventions act."""

    def __init__(
        self,
        experiment: Optional[Source] = None,
        *,
        preset: Optional[str] = None,
        patient: Optional[Mapping[str, float]] = None,
        circuit: Optional[Mapping[str, Any]] = None,
        seed: int = 0,
    ) -> None:
        super().__init__(_native.Sil(_experiment(experiment, preset, patient, circuit, None, seed)))

    def command(self, name: str, value: Any = None) -> str:
        """An action by name, as training scenarios write them (``set_mode``, ``set_rpm``,
        ``set_sweep``, ``set_fdo2``, ``clamp_return``, bedside actions, …). Raises
        :class:`CommandRefused` with the controller's reason."""
        return self._n.command(name, value)

    def step(self, seconds: float) -> None:
        """Advance by ``seconds`` (whole 10 ms control periods)."""
        self._n.step(seconds)

    def run(self, seconds: float, sample_interval_s: float = 1.0, signals: Optional[Sequence[str]] = None) -> Table:
        """Advance by ``seconds``, sampling the twin's truth plus ``command_pump_rpm``,
        ``command_sweep_lpm`` and ``alarms_present``."""
        return self._run(seconds, sample_interval_s, signals)

    def mode(self) -> str:
        return self._n.mode()

    def alarms(self) -> List[str]:
        """Alarms present (active or latched), by id."""
        return self._n.alarms()


class ExperimentResult:
    """An experiment's window summary (the JSON ``ecmo sim --json`` prints) and its samples."""

    def __init__(self, summary: Dict[str, Any], series: Table) -> None:
        self.summary = summary
        self.series = series

    def mean(self, signal: str, window: str = "final") -> float:
        """Mean of ``signal`` over ``window``."""
        # `windows` maps each window's name to its statistics (`mean`, `min`, `max`: signal ->
        # value), as `ecmo sim --json` prints them.
        w = self.summary["windows"].get(window)
        if w is None:
            raise KeyError(window)
        return float(w["mean"][signal])


def run_experiment(experiment: Source, series: bool = True) -> ExperimentResult:
    """Run an experiment file or dict (docs/experiments.md) as ``ecmo sim`` does."""
    summary, cols = _native.run_experiment(_source(experiment), series)
    return ExperimentResult(json.loads(summary), _table(cols))


# ------------------------------------------------------------------------------------------
# The virtual bench


def bench_sim(seconds: float = 60.0, threads: Optional[int] = None) -> List[Dict[str, Any]]:
    """The twin's speed (as ``ecmo bench-sim``): simulated seconds per wall second."""
    out = []
    for name, th, inst, sim, wall in _native.bench_sim(seconds, threads):
        out.append({"name": name, "threads": th, "instances": inst, "simulated_s": sim, "wall_s": wall, "ratio": sim / wall})
    return out


def catalogue() -> List[Dict[str, str]]:
    """The built-in device catalogue: name, kind, title."""
    return _rows(_native.catalogue(), ("name", "kind", "title"))


def bench_oxygenator(name: str) -> Table:
    """The ISO 7199 test of a catalogue oxygenator, one row per test point."""
    return _table(_native.bench_oxygenator(name))


def bench_pump(name: str) -> Table:
    """The head-flow curves (ISO 18242) of a catalogue pump."""
    return _table(_native.bench_pump(name))


# ------------------------------------------------------------------------------------------
# Cohorts, sensitivity, fitting


class Cohort:
    """A virtual cohort (a cohort file or a dict in its schema, docs/research.md)."""

    def __init__(self, source: Source) -> None:
        self._c = _native.Cohort(_source(source))

    @classmethod
    def _from_native(cls, c: Any) -> "Cohort":
        o = cls.__new__(cls)
        o._c = c
        return o

    @property
    def patients(self) -> int:
        return self._c.patients

    @property
    def blocks(self) -> int:
        return self._c.blocks

    @property
    def parameters(self) -> List[str]:
        return self._c.parameters

    def portable(self) -> str:
        """The cohort as one self-contained TOML text (the experiment inlined), for workers
        on other machines."""
        return self._c.portable()

    def samples(self) -> Table:
        """Every patient's sampled parameters."""
        return _table(self._c.samples())

    def run_block(self, block: int) -> Table:
        """Run one block of patients in this thread (a Ray task's work)."""
        return _table(self._c.run_block(block))

    def run(self, out: Optional[Union[str, "os.PathLike[str]"]] = None, threads: Optional[int] = None, progress: bool = False) -> Table:
        """Run every patient on all cores (or ``threads``). With ``out``, into that folder:
        part files and manifest (an interrupted run resumes), ``cohort.parquet`` and
        ``summary.html``."""
        cols, _ = self._c.run(None if out is None else os.fspath(out), threads, progress)
        return _table(cols)


def sensitivity(source: Source, threads: Optional[int] = None, progress: bool = False) -> Tuple[Table, Table]:
    """Sobol indices (docs/research.md): ``(indices, runs)``."""
    idx, runs = _native.sensitivity(_source(source), threads, progress)
    return _table(idx), _table(runs)


def fit(source: Source, data: Optional[Any] = None, threads: Optional[int] = None) -> Dict[str, Any]:
    """Fit patient parameters (a fit file or dict) to measurements: ``data`` is a mapping or
    DataFrame of columns (``time_s``, signals, settings), or None for the file's CSV."""
    cols = None
    if data is not None:
        keys = list(data.keys()) if hasattr(data, "keys") else list(data)
        cols = {str(k): np.asarray(data[k], dtype=float).tolist() for k in keys}
    r = _native.fit(_source(source), cols, threads)
    r["model"] = _table(r["model"])
    return r


def read_parquet(path: Union[str, "os.PathLike[str]"]) -> Table:
    """Read a Parquet file the package wrote (no pyarrow needed)."""
    return _table(_native.read_parquet(os.fspath(path)))


def read_recording(db: Union[str, "os.PathLike[str]"], run: Optional[int] = None) -> Table:
    """The 1 Hz numerics of a console recording (``ecmo serve``'s SQLite file) as fitting data:
    ``time_s``, the measured signals and the settings, named as the twin names them. ``run``
    defaults to the latest."""
    con = sqlite3.connect(f"file:{os.fspath(db)}?mode=ro", uri=True)
    try:
        if run is None:
            row = con.execute("SELECT MAX(id) FROM runs").fetchone()
            if row is None or row[0] is None:
                raise InputError(f"{os.fspath(db)}: holds no runs", os.fspath(db), None, "", "holds no runs")
            run = int(row[0])
        rows = con.execute("SELECT t, data FROM numerics WHERE run = ? ORDER BY t", (run,)).fetchall()
    finally:
        con.close()
    if not rows:
        raise InputError(f"{os.fspath(db)}: run {run} holds no numerics", os.fspath(db), None, "run", f"run {run} holds no numerics")
    mapping = _native.recording_map()
    cols: Dict[str, List[float]] = {"time_s": []}
    for _, target, _ in mapping:
        cols.setdefault(target, [])
    for t, data in rows:
        d = json.loads(data)
        cols["time_s"].append(float(t))
        for field, target, scale in mapping:
            v = d.get(field)
            cols[target].append(float("nan") if v is None else float(v) * scale)
    return Table((k, np.asarray(v, dtype=float)) for k, v in cols.items())
