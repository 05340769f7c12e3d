"""Where the data-heavy table transforms run: pandas in this process, or Dask (issue #25).

Section ``compute`` of params.yaml (:class:`ComputeParams`), read by the ingest, pseudonymize
and features stages. The domain code hands a *partition function* (a picklable callable on a
row slice of a frame) to :meth:`Engine.map_partitions`; the engine cuts the frame into
partitions of ``partition_rows`` rows and returns the function's results in partition order:

* ``pandas``: ``frame.iloc`` slices, one after the other, in this process;
* ``dask``: ``dask.dataframe.from_pandas`` partitions of the same size, run on a
  ``distributed.LocalCluster`` (``n_workers`` processes, ``memory_limit`` each) or on the
  cluster at ``dask_address`` (``tcp://host:8786``, started with ``dask scheduler`` /
  ``dask worker``).

:meth:`Engine.map_stream` does the same for partitions read one by one (a table larger than
memory: ingest's exports, pseudonymize's Parquet tables): pandas runs each as it comes, Dask keeps
two partitions per worker in flight; the caller sets each result aside before the next.

The partition functions give the same result for a row whichever partition it is in, and the
results are combined in row order, so the written files are the same bytes with either engine
(tests/unit/test_compute.py compares the file hashes; benchmarks/scale.py at ×10).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import pandas as pd
from pydantic import Field

from kogadx.params import params_path, read_params_file, section, validate_params

R = TypeVar("R")
log = logging.getLogger("kogadx.compute")


@section
class ComputeParams:
    """Section ``compute``: the engine of the table transforms of ingest, pseudonymize and features."""

    SECTION: ClassVar[str] = "compute"

    engine: Literal["pandas", "dask"] = "pandas"
    # Scheduler of an existing Dask cluster (tcp://host:8786); None = a LocalCluster on this machine.
    dask_address: str | None = None
    partition_rows: Annotated[int, Field(ge=1)] = 100_000  # rows per partition (both engines; a worker holds a few)
    n_workers: Annotated[int, Field(ge=1)] = 2  # LocalCluster worker processes
    threads_per_worker: Annotated[int, Field(ge=1)] = 1
    memory_limit: str = "1.5GiB"  # per LocalCluster worker (Dask spills, then pauses, beyond it)
    processes: bool = True  # False: LocalCluster workers as threads of this process (tests)


def load_compute_params(path: str | None = None) -> ComputeParams:
    """The ``compute`` section, or the pandas defaults when params.yaml has none.

    The engine never changes an output (the tests compare file hashes), so a params file written
    before the section existed, or one that leaves it out, simply runs on pandas.
    """
    file = params_path(path)
    data = read_params_file(file)
    if ComputeParams.SECTION not in data:
        return ComputeParams()
    return validate_params(ComputeParams, data[ComputeParams.SECTION], file, ComputeParams.SECTION)


@dataclass
class Engine:
    """A running engine (:func:`engine`): maps partition functions over frames."""

    params: ComputeParams = field(default_factory=ComputeParams)
    client: Any = None  # distributed.Client when the engine is dask

    def map_partitions(self, frame: pd.DataFrame, function: Callable[[pd.DataFrame], R],
                       rows: int | None = None) -> list[R]:
        """``function`` on each row partition of ``frame`` (index kept), results in row order.

        Partitions hold ``rows`` rows (default ``partition_rows``) in both engines, the last
        one the rest: a stage whose per-partition counts are written (the pseudonymize audit)
        gets the same partitions either way. A GeoDataFrame (small public tables) runs in this
        process: Dask partitions would lose its geometry type without dask-geopandas.
        """
        size = rows or self.params.partition_rows
        if self.client is None or hasattr(frame, "geometry") or len(frame) <= size:
            return [function(frame.iloc[start:start + size]) for start in range(0, max(len(frame), 1), size)]
        import dask
        import dask.dataframe as dd

        # Keep the dtypes the pandas path sees (Dask would convert object columns to Arrow strings).
        with dask.config.set({"dataframe.convert-string": False}):
            parts = dd.from_pandas(frame, chunksize=size, sort=False).to_delayed()
        futures = self.client.compute([dask.delayed(function)(part) for part in parts])
        return list(self.client.gather(futures))


    def map_stream(self, frames: Iterable[pd.DataFrame], function: Callable[[pd.DataFrame], R]) -> Iterator[R]:
        """``function`` on each frame of ``frames`` (partitions read one by one), results in
        order, lazily: pandas runs each in this process when it is asked for; Dask keeps at most
        two partitions per worker in flight and forgets each result once yielded, so neither the
        input nor the results of a table larger than memory are ever held whole."""
        if self.client is None:
            yield from (function(frame) for frame in frames)
            return
        import collections

        workers = max(len(self.client.scheduler_info().get("workers", {})), 1)
        window = 2 * workers * self.params.threads_per_worker
        pending: collections.deque[Any] = collections.deque()
        for frame in frames:
            pending.append(self.client.submit(function, frame, pure=False))
            while len(pending) >= window:
                future = pending.popleft()
                yield future.result()
                future.release()
        while pending:
            future = pending.popleft()
            yield future.result()
            future.release()


PANDAS = Engine()


@contextlib.contextmanager
def engine(params: ComputeParams | None) -> Iterator[Engine]:
    """The engine ``params`` name, for the duration of a stage: pandas (nothing to start), or a
    Dask client on a new LocalCluster (closed at the end) or on the cluster at ``dask_address``."""
    params = params or ComputeParams()
    if params.engine == "pandas":
        yield Engine(params)
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if params.dask_address:
            client = stack.enter_context(Client(params.dask_address))
            log.info("Dask クラスタ %s に接続しました (ワーカー %d 台)", params.dask_address,
                     len(client.scheduler_info().get("workers", {})))
        else:
            cluster = stack.enter_context(LocalCluster(
                n_workers=params.n_workers, threads_per_worker=params.threads_per_worker,
                memory_limit=params.memory_limit, processes=params.processes,
                dashboard_address=None, silence_logs=logging.WARNING))
            client = stack.enter_context(Client(cluster))
            log.info("Dask LocalCluster を起動しました (ワーカー %d 台, 各 %s)", params.n_workers, params.memory_limit)
        yield Engine(params, client)
