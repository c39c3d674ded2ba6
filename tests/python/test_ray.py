"""A cohort on a local Ray instance gives exactly the rows of the in-process run."""
import numpy as np
import pytest

import openecmo as oe

from test_research import cohort_dict

ray = pytest.importorskip("ray", reason="ray is not installed for this Python")


def test_ray_cohort_equals_in_process(tmp_path):
    from openecmo.ray import run_cohort

    spec = cohort_dict(patients=8, duration=10)
    local = oe.Cohort(spec).run(out=tmp_path / "local", threads=2)
    try:
        gathered = run_cohort(spec, out=tmp_path / "ray.parquet", init_kwargs={"num_cpus": 2})
    finally:
        ray.shutdown()
    assert list(gathered) == list(local)
    for k in local:
        assert np.array_equal(gathered[k], local[k]), k
    pq = pytest.importorskip("pyarrow.parquet")
    a = pq.read_table(tmp_path / "ray.parquet")
    b = pq.read_table(tmp_path / "local" / "cohort.parquet")
    assert a.equals(b)
