"""Cohorts on a Ray cluster: one Ray task per block of patients, results gathered in block
order into one table (and Parquet file), identical to the in-process run.

Every patient's parameters depend only on the cohort file (they are drawn once from its seed),
so which machine runs which block changes nothing. The cohort travels to the workers as one
self-contained TOML text (:meth:`openecmo.Cohort.portable`: the experiment inlined), so the
workers need the ``openecmo`` package but none of the driver's files.

Local use starts a Ray instance on this machine; ``address="auto"`` (or ``ray://host:10001``)
joins a running cluster, whose nodes must have ``openecmo`` installed (or pass
``runtime_env={"pip": ["openecmo"]}`` to :func:`ray.init`). docs/research.md has the steps.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Union

import numpy as np

from . import Cohort, Source, Table, _native, _source, _table


def _block(text: str, block: int) -> Dict[str, Any]:
    # Runs on a worker: rebuild the cohort from its portable text and run one block there.
    return _native.Cohort.from_toml(text).run_block(block)


def run_cohort(
    source: Source,
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    *,
    address: Optional[str] = None,
    num_cpus_per_task: float = 1.0,
    init_kwargs: Optional[Dict[str, Any]] = None,
) -> Table:
    """Run a cohort as Ray tasks, one per block of patients, and gather the rows in block
    order. With ``out``, also write them as one Parquet file at that path.

    ``address``: None starts (or reuses) a local Ray instance; ``"auto"`` or a ``ray://``
    address joins a cluster. ``init_kwargs`` go to :func:`ray.init` (``num_cpus``,
    ``runtime_env``, …).
    """
    import ray

    cohort = Cohort(source)
    text = cohort.portable()
    if not ray.is_initialized():
        kwargs = dict(init_kwargs or {})
        if address is not None:
            kwargs["address"] = address
        kwargs.setdefault("include_dashboard", False)
        kwargs.setdefault("log_to_driver", False)
        ray.init(**kwargs)
    task = ray.remote(num_cpus=num_cpus_per_task)(_block)
    text_ref = ray.put(text)
    futures = [task.remote(text_ref, b) for b in range(cohort.blocks)]
    parts: List[Table] = [_table(raw) for raw in ray.get(futures)]
    table = Table()
    for k in parts[0]:
        table[k] = np.concatenate([p[k] for p in parts])
    if out is not None:
        table.to_parquet(out)
    return table
