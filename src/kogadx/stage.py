"""The stage contract: argv in, one outputs object back, one writer.

Every DVC stage has the same three steps (``pipelines/<stage>.py``)::

    args = parse_args("co2", argv, "businesses", "energy", "weather", "factors",
                      "tables", "figures", "plots", "metrics")
    outputs = run_co2(Co2Inputs(...read args[...]...), load_params(Co2Params))
    write_outputs(outputs, args)

``run_<stage>`` lives in ``kogadx/<domain>/stage.py``: frames and typed params in, a
:class:`StageOutputs` out, no paths and no file I/O. :func:`write_outputs` writes every
output where argv says and logs the MLflow runs the stage asked for.

Output keys name an argv slot, optionally followed by a path inside it: ``"metrics"`` is
the file given as the ``metrics`` argument; ``"tables/emissions.parquet"`` is the file
``emissions.parquet`` in the folder given as ``tables``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from kogadx.errors import user_errors
from kogadx.io import (
    FLOAT_DIGITS,
    FrameStream,
    get_stage_logger,
    remove_spills,
    round_floats,
    write_csv_for_excel,
    write_json,
    write_parquet,
)


def script_main(main: Callable[[], object]) -> None:
    """The entry of every ``pipelines/<stage>.py`` (``if __name__ == "__main__": script_main(main)``):
    ``main()`` inside :func:`kogadx.errors.user_errors`, so that a person running ``dvc repro``
    sees a one-line Japanese message and exit code 2, never a traceback (``KOGADX_DEBUG=1``
    shows it). Tests call ``main()`` directly and see the exception itself.

    Spill folders (raw records set aside by a partitioned stage) are removed when ``main()``
    ends, however it ends; SIGTERM (``kill``, a CI timeout) becomes an exit so that this runs."""
    import signal

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with user_errors():
            main()
    finally:
        remove_spills()
        signal.signal(signal.SIGTERM, previous)


class StageArgsError(SystemExit):
    """Wrong number of arguments for a stage script (exits with the Japanese usage line)."""


@dataclass(frozen=True)
class StageArgs:
    """The DVC stage name and its argv paths by slot name (optional slots may be None)."""

    stage: str
    paths: Mapping[str, Path | None]

    def __getitem__(self, slot: str) -> Path:
        path = self.paths[slot]
        if path is None:
            raise KeyError(f"{self.stage}: 引数 {slot} が指定されていません")
        return path

    def get(self, slot: str) -> Path | None:
        """An optional slot: its path, or None when it was left out (or given as ``-``)."""
        return self.paths.get(slot)


def parse_args(stage: str, argv: Sequence[str] | None, *slots: str) -> StageArgs:
    """argv (without the program name; ``None`` = ``sys.argv[1:]``) → paths by slot.

    Slots are positional, in the order ``dvc.yaml`` passes them. A slot ending in ``?``
    is optional: it may be left out at the end of the command, or given as ``-``.
    Also sets up the stage's log lines (one per step, on stderr).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    names = [s.rstrip("?") for s in slots]
    required = sum(1 for s in slots if not s.endswith("?"))
    if not required <= len(args) <= len(slots):
        usage = " ".join(s.upper() if not s.endswith("?") else f"[{s[:-1].upper()}]" for s in slots)
        raise StageArgsError(f"使い方 (usage): python pipelines/{stage}.py {usage}")
    values: list[Path | None] = [None if a == "-" else Path(a) for a in args]
    values += [None] * (len(slots) - len(args))
    get_stage_logger(stage)
    return StageArgs(stage, dict(zip(names, values, strict=True)))


class Artifact(Protocol):
    """A file the stage produced in memory; the writer puts it on disk."""

    def write(self, path: Path) -> None: ...


@dataclass(frozen=True)
class TextFile:
    """Text in a given encoding (``cp932`` for exports as the city's systems write them)."""

    text: str
    encoding: str = "utf-8"

    def write(self, path: Path) -> None:
        path.write_bytes(self.text.encode(self.encoding))


@dataclass(frozen=True)
class BytesFile:
    """Bytes as they are (models, workbooks, rendered HTML)."""

    data: bytes

    def write(self, path: Path) -> None:
        path.write_bytes(self.data)


@dataclass(frozen=True)
class JsonFile:
    """JSON with sorted keys and floats rounded like every other output (:func:`kogadx.io.write_json`)."""

    data: Any

    def write(self, path: Path) -> None:
        write_json(self.data, path)


@dataclass(frozen=True)
class ExcelCsvFile:
    """CSV for people who open it in Excel: UTF-8 with BOM (:func:`kogadx.io.write_csv_for_excel`)."""

    frame: pd.DataFrame

    def write(self, path: Path) -> None:
        write_csv_for_excel(self.frame, path)


@dataclass(frozen=True)
class Shapefile:
    """A GeoDataFrame as an ESRI shapefile: the output path is the ``.shp``; ``.shx``, ``.dbf``,
    ``.prj`` (and ``.cpg`` unless ``cpg=False``) are written beside it.

    ``encoding`` is the text encoding of the ``.dbf`` attributes. The ``.dbf`` header holds a
    date of last update that GDAL sets to today; it is pinned to ``dbf_date`` so that reruns
    are byte-identical. ``cpg=False`` leaves out the ``.cpg`` file naming the encoding, as some
    publishers do (their readers are told the encoding).
    """

    frame: Any  # a geopandas.GeoDataFrame (the core does not import geopandas)
    encoding: str = "utf-8"
    cpg: bool = True
    dbf_date: dt.date = dt.date(2000, 1, 1)

    def write(self, path: Path) -> None:
        self.frame.to_file(path, driver="ESRI Shapefile", encoding=self.encoding, engine="pyogrio")
        dbf = path.with_suffix(".dbf")
        data = bytearray(dbf.read_bytes())
        # dBASE header bytes 1–3: year − 1900, month, day of the last update.
        data[1:4] = bytes([self.dbf_date.year - 1900, self.dbf_date.month, self.dbf_date.day])
        dbf.write_bytes(bytes(data))
        if not self.cpg:
            path.with_suffix(".cpg").unlink(missing_ok=True)


@dataclass(frozen=True)
class NoFile:
    """No file at this path: removes one left by an earlier run, whose presence would say
    something false (a marker file, for instance)."""

    def write(self, path: Path) -> None:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class LoggedModel:
    """A model to log with an MLflow flavour (``sklearn``, ``lightgbm``).

    With ``output_example`` the writer infers the signature from the two examples.
    ``pip_requirements`` are given, not inferred: inference re-imports the model in a
    subprocess, which is slow.
    """

    flavor: Literal["sklearn", "lightgbm"]
    model: Any
    name: str
    input_example: Any = None
    output_example: Any = None
    pip_requirements: Sequence[str] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrackedRun:
    """One MLflow run: params, metrics, written outputs to attach, models.

    ``artifacts`` maps output keys (``"figures"``, ``"tables/baseline_models.parquet"``)
    to the folder inside the run (None = top level). ``attachments`` are files that only
    the run keeps (a CSV copy for people browsing MLflow), by path inside the run.
    """

    experiment: str
    name: str  # required: a random MLflow name tells the person browsing the UI nothing
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, Any] = field(default_factory=dict)
    artifacts: Mapping[str, str | None] = field(default_factory=dict)
    attachments: Mapping[str, Artifact] = field(default_factory=dict)
    models: Sequence[LoggedModel] = ()


@dataclass
class StageOutputs:
    """Everything a stage produced, by output key (see the module docstring).

    ``tables`` are written as Parquet (GeoParquet for a GeoDataFrame), ``figures`` as PNG,
    ``plots`` as CSV series for ``dvc plots``, ``metrics`` as the stage's metrics JSON
    (slot ``metrics``), ``files`` by their own :class:`Artifact` writer. ``runs`` are
    logged to MLflow after everything is written. ``summary`` is the stage's closing log
    line (Japanese, for the person running ``dvc repro``).

    Floats are written with ``float_digits`` significant digits (default
    :data:`kogadx.io.FLOAT_DIGITS`). A stage whose estimates run through BLAS/LAPACK
    (regressions), where CPUs differ beyond the last bit, declares fewer, so that its
    outputs are the same bytes on every machine.
    """

    tables: dict[str, pd.DataFrame | FrameStream] = field(default_factory=dict)  # FrameStream: in partitions
    figures: dict[str, Any] = field(default_factory=dict)
    plots: dict[str, pd.DataFrame] = field(default_factory=dict)
    metrics: dict[str, Any] | None = None
    files: dict[str, Artifact] = field(default_factory=dict)
    runs: list[TrackedRun] = field(default_factory=list)
    summary: str = ""
    float_digits: int = FLOAT_DIGITS


def output_path(args: StageArgs, key: str) -> Path:
    """Where an output key goes: the slot's path, or a path inside the slot's folder."""
    slot, _, inner = key.partition("/")
    if slot not in args.paths:
        raise KeyError(f"{args.stage}: 出力 '{key}' の引数 '{slot}' が dvc.yaml のコマンドにありません")
    base = args[slot]
    return base / inner if inner else base


def write_outputs(outputs: StageOutputs, args: StageArgs) -> dict[str, Path]:
    """Write every output of ``outputs`` where ``args`` says, then log its MLflow runs.

    Returns the written paths by output key. Figures are closed after saving (pyplot
    keeps them otherwise).
    """
    from kogadx.plotting import close_figure, save_figure

    digits = outputs.float_digits
    written: dict[str, Path] = {}
    for key, frame in outputs.tables.items():
        written[key] = write_parquet(frame, output_path(args, key), digits)
    for key, artifact in outputs.files.items():
        path = output_path(args, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        artifact.write(path)
        written[key] = path
    for key, frame in outputs.plots.items():
        written[key] = write_plot_csv(frame, output_path(args, key), digits)
    for key, figure in outputs.figures.items():
        written[key] = output_path(args, key)
        save_figure(figure, written[key])
    if outputs.metrics is not None:
        written["metrics"] = write_json(outputs.metrics, output_path(args, "metrics"), digits)
    for run in outputs.runs:
        log_run(run, args)
    for figure in outputs.figures.values():
        close_figure(figure)
    log = logging.getLogger(f"kogadx.{args.stage}")
    if outputs.summary:
        log.info("%s", outputs.summary)
    return written


def write_plot_csv(frame: pd.DataFrame, path: Path, digits: int = FLOAT_DIGITS) -> Path:
    """A series for ``dvc plots`` (plain UTF-8 CSV, floats rounded like every output)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    round_floats(frame, digits).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def log_run(run: TrackedRun, args: StageArgs) -> str:
    """Log one :class:`TrackedRun` (tagged with the DVC stage); returns the MLflow run id."""
    from kogadx.tracking import start_run

    with start_run(run.experiment, stage=args.stage, run_name=run.name, params=run.params) as active, \
            tempfile.TemporaryDirectory() as tmp:
        if run.tags:
            active.set_tags(run.tags)
        if run.metrics:
            active.log_metrics(run.metrics)
        for key, folder in run.artifacts.items():
            path = output_path(args, key)
            if path.is_dir():
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    active.log_artifact(file, folder)
            else:
                active.log_artifact(path, folder)
        for name, artifact in run.attachments.items():
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            artifact.write(target)
            parent = str(Path(name).parent)
            active.log_artifact(target, None if parent == "." else parent)
        for model in run.models:
            log_model(active.mlflow, model)
        return active.run_id


def log_model(mlflow: Any, model: LoggedModel) -> None:
    """Log a model with its flavour; the signature is inferred from the two examples."""
    options: dict[str, Any] = dict(model.options)
    if model.input_example is not None:
        options["input_example"] = model.input_example
    if model.output_example is not None:
        from mlflow.models import infer_signature

        options["signature"] = infer_signature(model.input_example, model.output_example)
    if model.pip_requirements:
        options["pip_requirements"] = list(model.pip_requirements)
    getattr(mlflow, model.flavor).log_model(model.model, name=model.name, **options)
