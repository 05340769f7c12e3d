"""Small I/O helpers shared by the stages: encodings, deterministic writes, logging.

Functions here do I/O only when called; importing this module touches nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kogadx.errors import UserFacingError

LOG_FORMAT = "%(asctime)s %(name)s %(message)s"
T = TypeVar("T")

# Floats are written with at most this many significant digits (Parquet, metrics JSON, CSV
# series). BLAS kernels and SIMD paths differ by CPU in the last bits of a result; rounding
# before writing makes the bytes, and so the DVC hashes, the same on every machine. Ten
# digits keep every input as it is (coordinates, areas and readings have at most ten).
FLOAT_DIGITS = 10


class InputFileError(UserFacingError, ValueError):
    """A raw input that cannot be read or lacks a required column; names the file."""


def get_stage_logger(stage: str) -> logging.Logger:
    """A logger that prints one line per step; configured by the caller, not at import."""
    logger = logging.getLogger(f"kogadx.{stage}")
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def detect_encoding(path: str | Path) -> str:
    """Return 'utf-8-sig', 'utf-8' or 'cp932' for a text export; raise if none decodes.

    Municipal core systems emit CP932 (Shift_JIS with Microsoft extensions); Excel
    writes UTF-8 with BOM; modern tools UTF-8. Strict decoding decides.
    """
    return detect_bytes_encoding(Path(path).read_bytes(), str(path))


def detect_bytes_encoding(raw: bytes, source: str = "") -> str:
    """:func:`detect_encoding` for bytes already read; ``source`` names them in the error."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp932"):
        try:
            raw.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        f"{source}: 文字コードを判定できません (UTF-8 / UTF-8 BOM / CP932 のいずれでもありません)"
    )


def read_text_table(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read a CSV export as all-string columns, keeping blanks as empty strings.

    Returns the frame and the detected encoding. Every value stays text so that the
    contract, not the CSV parser, decides what is valid.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: ファイルがありません")
    encoding = detect_encoding(path)
    try:
        frame = pd.read_csv(
            path, encoding=encoding, dtype=str, keep_default_na=False, na_filter=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"{path}: CSV として読めません: {exc}") from exc
    return frame, encoding


@dataclass(frozen=True)
class TextTable:
    """A CSV export read as text (:func:`read_export`): the frame, its detected encoding, the
    file name as listed (``file``) and the path it was read from (``source``, for messages).

    ``lines`` holds the file line on which each record starts (a quoted field may span
    lines); ``field_counts`` the number of fields of each record whose count differs from the
    header's (record position → count; such records are padded or cut to the header's width
    and must be quarantined by the reader's caller, not trusted)."""

    frame: pd.DataFrame
    encoding: str
    file: str
    source: str
    lines: np.ndarray | None = None
    field_counts: Mapping[int, int] | None = None

    def parts(self, rows: int) -> Iterator[TextTable]:
        """The table in partitions of ``rows`` records, as :meth:`ExportSource.parts` gives them
        (frame index, lines and field counts are positions in the whole table)."""
        frame = self.frame.reset_index(drop=True)
        lines = (np.arange(len(frame), dtype=np.int64) + 2) if self.lines is None else np.asarray(self.lines)
        odd = self.field_counts or {}
        for start in range(0, max(len(frame), 1), rows):
            end = min(start + rows, len(frame))
            yield TextTable(frame.iloc[start:end], self.encoding, self.file, self.source, lines[start:end],
                            {k: v for k, v in odd.items() if start <= k < end})


_READ_CHUNK = 1 << 24


def _undecodable_line(path: Path, encoding: str) -> int | None:
    """The file line of the first byte that ``encoding`` cannot decode, None if all decode.
    Reads the file in chunks with an incremental decoder (no whole-file copy in memory)."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk.count(b"\n", 0, max(exc.start, 0))
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def detect_export_encoding(path: Path) -> str:
    """:func:`detect_encoding` for a large export, decoding in chunks; when no encoding
    decodes the whole file, the error names the file and the first line that CP932 (and
    UTF-8) cannot read — never the bytes themselves (they may be personal data)."""
    with path.open("rb") as fh:
        if fh.read(3) == b"\xef\xbb\xbf":
            bad = _undecodable_line(path, "utf-8-sig")
            if bad is not None:
                raise InputFileError(f"{path}: {bad} 行目に UTF-8 として読めないバイトがあります (文字コード不正)")
            return "utf-8-sig"
    bad_utf8 = _undecodable_line(path, "utf-8")
    if bad_utf8 is None:
        return "utf-8"
    bad_cp932 = _undecodable_line(path, "cp932")
    if bad_cp932 is None:
        return "cp932"
    raise InputFileError(f"{path}: 文字コード不正: CP932 として {bad_cp932} 行目、UTF-8 として {bad_utf8} 行目に"
                         "読めないバイトがあります (UTF-8 / UTF-8 BOM / CP932 のいずれでもありません)")


def check_inside(path: Path, folder: Path) -> None:
    """Refuse a file (or a symlink) that resolves outside ``folder``: a raw folder must not
    pull in files from elsewhere on the machine."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        raise InputFileError(f"{path}: 生データのフォルダの外を指すリンクです (読み込みません)") from None


def read_export(path: str | Path, folder: str | Path | None = None, file: str | None = None,
                chunk_rows: int = 200_000) -> TextTable:
    """A CSV export as all-text columns (``str``, Arrow-backed; blanks as empty strings), with each record's start
    line and the records whose field count differs from the header's (see :class:`TextTable`).

    Read with the ``csv`` module record by record (quoted line breaks counted) and built in
    chunks of ``chunk_rows`` records (:meth:`ExportSource.parts`). ``folder``: the raw folder the
    file must stay inside. Errors name the file and line, never a cell value: a missing or empty
    file, no header, a duplicated header, bytes no encoding reads.
    """
    source = ExportSource(path, folder, file)
    parts = list(source.parts(chunk_rows))
    frame = parts[0].frame if len(parts) == 1 else pd.concat([p.frame for p in parts])
    odd = {k: v for p in parts for k, v in (p.field_counts or {}).items()}
    lines = np.concatenate([np.asarray(p.lines, dtype=np.int64) for p in parts])
    return TextTable(frame.reset_index(drop=True), source.encoding, source.file, source.source, lines, odd)


class ExportSource:
    """A CSV export not read yet: checked (inside ``folder``, a file) when made, read partition
    by partition with :meth:`parts` — a stage that holds one partition at a time stays within
    a fixed memory whatever the size of the export (issue #25)."""

    def __init__(self, path: str | Path, folder: str | Path | None = None, file: str | None = None) -> None:
        self.path = Path(path)
        if folder is not None:
            check_inside(self.path, Path(folder))
        if not self.path.is_file():
            raise InputFileError(f"{self.path}: ファイルがありません")
        self.file = file or self.path.name
        self.source = str(self.path)
        self._encoding: str | None = None

    @property
    def encoding(self) -> str:
        """The detected encoding (:func:`detect_export_encoding`, decoded once, in chunks)."""
        if self._encoding is None:
            self._encoding = detect_export_encoding(self.path)
        return self._encoding

    def parts(self, rows: int) -> Iterator[TextTable]:
        """The export in partitions of ``rows`` records (the last one the rest; one empty
        partition for a header-only file): each a :class:`TextTable` whose frame index, lines and
        field counts are positions in the whole file, so that messages and quarantine rows name
        the file line whatever the partition."""
        import csv

        path = self.path
        encoding = self.encoding
        csv.field_size_limit(1 << 24)
        with path.open(encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, strict=True)
            try:
                header = next(reader, None)
                while header is not None and not header:  # leading blank lines
                    header = next(reader, None)
                if header is None:
                    raise InputFileError(f"{path}: 空のファイルです (見出し行がありません)")
                _check_header(header, path, reader.line_num)
                width = len(header)
                # Each partition's values go into Arrow arrays at once (≈ 1/4 of the memory of
                # Python strings).
                starts: list[int] = []
                odd: dict[int, int] = {}
                columns: list[list[str]] = [[] for _ in range(width)]
                last_line = reader.line_num
                position = first = 0
                for record in reader:
                    start, last_line = last_line + 1, reader.line_num
                    if not record:  # a blank line is no record
                        continue
                    if len(record) != width:
                        odd[position] = len(record)
                        record = (record + [""] * width)[:width]
                    for values, value in zip(columns, record, strict=True):
                        values.append(value)
                    starts.append(start)
                    position += 1
                    if len(starts) >= rows:
                        yield self._part(header, columns, starts, odd, first)
                        columns, starts, odd, first = [[] for _ in range(width)], [], {}, position
            except csv.Error as exc:
                raise InputFileError(f"{path}: {reader.line_num} 行目を CSV として読めません "
                                     "(引用符が閉じていない等)") from exc
        if starts or first == 0:
            yield self._part(header, columns, starts, odd, first)

    def _part(self, header: list[str], columns: list[list[str]], starts: list[int], odd: dict[int, int],
              first: int) -> TextTable:
        text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own ``str`` (as read_csv(dtype=str) gives)
        frame = pd.DataFrame({name: pd.array(pa.array(values, type=pa.string()), dtype=text)
                              for name, values in zip(header, columns, strict=True)},
                             index=pd.RangeIndex(first, first + len(starts)))
        return TextTable(frame, self.encoding, self.file, self.source, np.asarray(starts, dtype=np.int64), odd)


def _check_header(header: list[str], path: Path, line: int) -> None:
    """A repeated header cannot be mapped to one column: stop, naming column numbers. A blank
    header is named by its position (「(見出しなし 列N)」), so that the contract reports it as
    a missing column rather than this reader guessing."""
    for i, name in enumerate(header):
        if not name.strip():
            header[i] = f"(見出しなし 列{i + 1})"
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            raise InputFileError(f"{path}: {line} 行目の見出しが重複しています (列番号 {seen[name] + 1} と {i + 1})")
        seen[name] = i


def read_text_tables(folder: str | Path, files: Mapping[str, str]) -> dict[str, TextTable]:
    """Every CSV export listed in ``files`` (name → file inside ``folder``), read as text
    with :func:`read_export`.

    Raises :class:`InputFileError` naming the folder when it does not exist, or the file that
    is missing, unreadable or a link leaving the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: 生データのフォルダがありません")
    return {name: read_export(folder / file, folder, file) for name, file in files.items()}


def open_text_tables(folder: str | Path, files: Mapping[str, str]) -> dict[str, ExportSource]:
    """:func:`read_text_tables` without reading: every export checked (the folder, each file)
    and left to be read partition by partition (:class:`ExportSource`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: 生データのフォルダがありません")
    return {name: ExportSource(folder / file, folder, file) for name, file in files.items()}


def read_shapefile(path: str | Path, encoding: str | None = None) -> Any:
    """A shapefile as a GeoDataFrame. ``encoding`` is that of the ``.dbf`` attributes, needed
    when the file comes without a ``.cpg`` naming it (e-Stat's Shift_JIS files)."""
    import geopandas as gpd

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: ファイルがありません")
    try:
        return gpd.read_file(path, encoding=encoding, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise InputFileError(f"{path}: シェープファイルとして読めません: {exc}") from exc


def read_if_present(path: str | Path, reader: Callable[[Path], T]) -> T | None:
    """``reader(path)``, or None when there is no file at ``path`` (an optional input)."""
    path = Path(path)
    return reader(path) if path.is_file() else None


def read_package_file(package: str, name: str) -> bytes:
    """Bytes of a data file shipped inside a kogadx package (``read_package_file("kogadx.energy",
    "emission_factors.csv")``): the code's own reference data, versioned with it."""
    from importlib import resources

    return (resources.files(package) / name).read_bytes()


@dataclass(frozen=True)
class FolderBytes:
    """Files of a folder as bytes (:func:`read_folder`), keyed by POSIX path inside the folder,
    and the files refused, with the reason in Japanese (unreadable, or a symbolic link that
    leads out of the folder)."""

    files: dict[str, bytes]
    refused: dict[str, str]


def read_folder(folder: str | Path, suffixes: Iterable[str] | None = None) -> FolderBytes:
    """Every file under ``folder`` (recursive) as bytes, keyed by its POSIX path relative to
    ``folder``, in path order; only names ending in one of ``suffixes`` (case-insensitive)
    when given. For stages whose domain parses a folder of documents in memory.

    A file that cannot be read, or a symbolic link whose target lies outside ``folder``, is
    not read but listed in ``refused`` with its reason: one bad file does not stop a scan,
    and a link cannot pull a file from elsewhere into it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: フォルダがありません")
    root = folder.resolve()
    wanted = tuple(s.lower() for s in suffixes) if suffixes is not None else None
    paths = sorted(p for p in folder.rglob("*")
                   if (p.is_file() or p.is_symlink()) and (wanted is None or p.name.lower().endswith(wanted)))
    files: dict[str, bytes] = {}
    refused: dict[str, str] = {}
    for path in paths:
        name = path.relative_to(folder).as_posix()
        if not path.resolve().is_relative_to(root):
            refused[name] = "フォルダの外を指すシンボリックリンクのため読みません"
            continue
        if not path.is_file():
            refused[name] = "リンク先のファイルがありません"
            continue
        try:
            files[name] = path.read_bytes()
        except OSError as exc:
            refused[name] = f"読み込めません ({type(exc).__name__})"
    return FolderBytes(files, refused)


def read_folder_bytes(folder: str | Path, suffixes: Iterable[str] | None = None) -> dict[str, bytes]:
    """:func:`read_folder`, strict: the first refused file is an :class:`InputFileError`
    naming it (for inputs where every file matters, such as a training set)."""
    read = read_folder(folder, suffixes)
    for name, reason in read.refused.items():
        raise InputFileError(f"{Path(folder) / name}: {reason}")
    return read.files


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet table; a missing file or column is an :class:`InputFileError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: ファイルがありません")
    if columns is not None:
        missing = [c for c in columns if c not in pq.read_schema(path).names]
        if missing:
            raise InputFileError(f"{path}: 列 {missing} がありません")
    return pd.read_parquet(path, columns=columns)


def read_geoparquet(path: str | Path) -> Any:
    """A GeoParquet table as a GeoDataFrame (a plain Parquet table as a DataFrame)."""
    import geopandas as gpd

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: ファイルがありません")
    if b"geo" not in (pq.read_schema(path).metadata or {}):
        return pd.read_parquet(path)
    return gpd.read_parquet(path)


def read_table(path: str | Path) -> pd.DataFrame:
    """A table from Parquet, or from a CSV export read as text (see :func:`read_text_table`)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return read_parquet(path)
    return read_text_table(path)[0]


def read_table_files(folder: str | Path, suffixes: tuple[str, ...] = (".parquet", ".csv")) -> dict[str, pd.DataFrame]:
    """Every table file directly in ``folder``, by file name, sorted: Parquet (GeoParquet as a
    GeoDataFrame), CSV exports as text (:func:`read_text_table`). Files whose name starts with
    ``_`` and sub-folders are left out."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: フォルダがありません")
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith("_"):
            tables[path.name] = read_geoparquet(path) if path.suffix.lower() == ".parquet" else read_table(path)
    return tables


class ParquetSource:
    """A Parquet table not read yet (its schema is): read whole, some columns, or in
    partitions of a fixed number of rows (:meth:`parts`) for a stage that never holds the whole
    table (issue #25). The frames are those :func:`read_parquet` gives (same dtypes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputFileError(f"{self.path}: ファイルがありません")
        self.columns = list(pq.read_schema(self.path).names)

    def __len__(self) -> int:
        return int(pq.ParquetFile(self.path).metadata.num_rows)

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        return read_parquet(self.path, columns)

    def parts(self, rows: int, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """Partitions of exactly ``rows`` rows (the last one the rest; one empty frame for an
        empty table), index = row position in the file, whatever the file's row groups."""
        file = pq.ParquetFile(self.path)
        schema = file.schema_arrow if columns is None else pa.schema([file.schema_arrow.field(c) for c in columns])
        schema = schema.with_metadata(file.schema_arrow.metadata)
        buffer: list[pa.RecordBatch] = []
        buffered = start = 0

        def part(batches: list[pa.RecordBatch], first: int) -> pd.DataFrame:
            frame = pa.Table.from_batches(batches, schema=schema).to_pandas()
            frame.index = pd.RangeIndex(first, first + len(frame))
            return frame

        for batch in file.iter_batches(batch_size=rows, columns=columns):
            buffer.append(batch)
            buffered += batch.num_rows
            while buffered >= rows:
                table = pa.Table.from_batches(buffer, schema=schema)
                yield part(table.slice(0, rows).to_batches(), start)
                start += rows
                rest = table.slice(rows)
                buffer, buffered = rest.to_batches(), rest.num_rows
        if buffered or start == 0:
            yield part(buffer, start)


def open_table_files(folder: str | Path, suffixes: tuple[str, ...] = (".parquet", ".csv")) -> dict[str, Any]:
    """:func:`read_table_files`, with plain Parquet tables left unread (:class:`ParquetSource`);
    GeoParquet and CSV files (small) are read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: フォルダがありません")
    tables: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith("_"):
            plain = path.suffix.lower() == ".parquet" and b"geo" not in (pq.read_schema(path).metadata or {})
            tables[path.name] = ParquetSource(path) if plain else read_geoparquet(path) if path.suffix.lower() == \
                ".parquet" else read_table(path)
    return tables


def round_significant(value: float, digits: int = FLOAT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits, by correctly rounded decimal
    conversion (the same on every CPU; ``log10`` is not). NaN and ±inf pass through."""
    return float(f"{value:.{digits}g}")


def round_floats(frame: pd.DataFrame, digits: int = FLOAT_DIGITS) -> pd.DataFrame:
    """A copy of ``frame`` with every float column rounded to ``digits`` significant digits."""
    columns = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    if not columns:
        return frame
    out = frame.copy()
    for column in columns:
        values = out[column].to_numpy(dtype=float, na_value=np.nan)
        rounded = np.array([round_significant(v, digits) for v in values.tolist()], dtype=float)
        out[column] = pd.Series(rounded, index=out.index).astype(out[column].dtype)
    return out


def round_data(data: Any, digits: int = FLOAT_DIGITS) -> Any:
    """Nested dicts / lists with every float rounded (see :func:`round_significant`); NaN and
    ±inf become None, so that metrics JSON stays valid JSON for ``dvc metrics``."""
    if isinstance(data, dict):
        return {k: round_data(v, digits) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [round_data(v, digits) for v in data]
    if isinstance(data, float | np.floating):
        return round_significant(float(data), digits) if np.isfinite(data) else None
    return data


def write_parquet(frame: pd.DataFrame | FrameStream, path: str | Path, digits: int = FLOAT_DIGITS) -> Path:
    """Write Parquet deterministically (no index, fixed compression, fixed row groups, floats
    rounded to ``digits`` significant digits). A GeoDataFrame is written as GeoParquet
    (no covering bbox column); a :class:`FrameStream` partition by partition
    (:func:`write_parquet_stream`).
    """
    if isinstance(frame, FrameStream):
        return write_parquet_stream(frame.produce(), path, digits)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = round_floats(frame, digits)
    if hasattr(frame, "geometry") and hasattr(frame, "crs"):
        frame.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
        return path
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)
    return path


# Rows per Parquet row group of a table written in partitions (:class:`FrameStream`): a fixed
# number, so the file is the same bytes however the rows were partitioned (engine, workers,
# partition_rows). A table of at most this many rows is one row group, as write_parquet writes it.
STREAM_ROW_GROUP_ROWS = 250_000


@dataclass(frozen=True)
class FrameStream:
    """A table given as its row partitions, in order (``produce()`` yields DataFrames; at least
    one, possibly empty): :func:`write_parquet` writes it group by group and never holds the
    whole table (issue #25)."""

    produce: Callable[[], Iterable[pd.DataFrame]]
    rows: int | None = None  # the row count when known before writing (summaries)


def write_parquet_stream(frames: Iterable[pd.DataFrame], path: str | Path, digits: int = FLOAT_DIGITS,
                         group_rows: int | None = None) -> Path:
    """Row partitions written as one Parquet file (pyarrow ParquetWriter) in row groups of
    exactly ``group_rows`` rows (the last one the rest): the bytes depend on the rows, not on
    how they were cut. The schema is the first row group's; later groups are cast to it."""
    group_rows = group_rows or STREAM_ROW_GROUP_ROWS
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed at the end: a partition that fails half-way (e.g. a
    # later group that cannot be cast to the first group's schema) must not leave a shorter file
    # that still reads as a valid table.
    partial = path.with_name(path.name + ".partial")
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None

    def flush(frame: pd.DataFrame) -> None:
        nonlocal writer, schema
        table = pa.Table.from_pandas(round_floats(frame, digits).reset_index(drop=True), preserve_index=False)
        if writer is None or schema is None:
            schema = table.schema
            writer = pq.ParquetWriter(partial, schema, compression="zstd")
        elif not table.schema.equals(schema, check_metadata=False):
            table = table.cast(schema)
        writer.write_table(table.replace_schema_metadata(schema.metadata), row_group_size=group_rows)

    buffer: list[pd.DataFrame] = []
    buffered = 0
    template: pd.DataFrame | None = None
    try:
        for frame in frames:
            template = frame.iloc[:0] if template is None else template
            if frame.empty:
                continue
            buffer.append(frame)
            buffered += len(frame)
            while buffered >= group_rows:
                whole = buffer[0] if len(buffer) == 1 else pd.concat(buffer)
                flush(whole.iloc[:group_rows])
                buffer = [whole.iloc[group_rows:]]
                buffered = len(buffer[0])
        if template is None:
            raise ValueError(f"{path}: 書き出す表の分割がありません")
        if buffered or writer is None:
            flush(pd.concat(buffer) if len(buffer) > 1 else buffer[0] if buffer else template)
    except BaseException:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        raise
    assert writer is not None
    writer.close()
    partial.replace(path)
    return path


# Every spill folder this process made: :func:`remove_spills` deletes them all. A stage script
# calls it in a finally (kogadx.stage.script_main), so the raw records set aside leave the disk
# on success, on an error and on SIGTERM, not only when the spill is garbage-collected.
_SPILL_FOLDERS: set[Path] = set()


def remove_spills() -> int:
    """Delete every spill folder this process made that still exists; returns how many."""
    import shutil

    removed = 0
    for folder in sorted(_SPILL_FOLDERS):
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    _SPILL_FOLDERS.clear()
    return removed


class FrameSpill:
    """Frames set aside while a stage works through a table larger than memory: on local disk
    (pickled: the same frame comes back, dtypes and index included; removed by
    :func:`remove_spills` at the end of the stage script, or when the spill is garbage-collected
    or the process ends) or, for a table already in memory, in a list. The folder is under
    ``KOGADX_SPILL_DIR`` when set, else the system's temporary folder. A killed process
    (SIGKILL, the out-of-memory killer) cannot clean up: point ``KOGADX_SPILL_DIR`` into the
    secure zone."""

    def __init__(self, on_disk: bool = True, prefix: str = "kogadx_spill_") -> None:
        import os
        import shutil
        import tempfile
        import weakref

        self.held: list[Any] = []
        self.folder: Path | None = None
        self.count = 0
        if on_disk:
            self.folder = Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("KOGADX_SPILL_DIR") or None))
            _SPILL_FOLDERS.add(self.folder)
            weakref.finalize(self, shutil.rmtree, self.folder, True)

    def append(self, frame: Any) -> int:
        """Set ``frame`` aside; returns its number."""
        import pickle

        if self.folder is None:
            self.held.append(frame)
        else:
            with (self.folder / f"{self.count:06d}.pkl").open("wb") as fh:
                pickle.dump(frame, fh, protocol=5)
        self.count += 1
        return self.count - 1

    def __getitem__(self, number: int) -> Any:
        import pickle

        if self.folder is None:
            return self.held[number]
        with (self.folder / f"{number:06d}.pkl").open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 - our own file, written by append in this process

    def __len__(self) -> int:
        return self.count


# A spreadsheet reads a cell starting with one of these as a formula. OWASP's CSV injection
# guidance (https://owasp.org/www-community/attacks/CSV_Injection) lists =, +, -, @, tab (0x09)
# and carriage return (0x0D) — line feed (0x0A) since 2025 — and recommends prefixing such a
# cell with a single quote, wrapping every field in double quotes and escaping the double
# quotes inside (write_csv_for_excel quotes every text field: a bare CR inside a cell would
# also end the row in Excel).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_safe_text(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def formula_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot start a formula
    (:func:`formula_safe_text`). Numeric, boolean and date columns are left as they are: a
    negative number is a number, not a formula."""
    out = frame.copy()
    out.columns = [formula_safe_text(c) if isinstance(c, str) else c for c in out.columns]
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        dtype = series.dtype
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype) \
                or isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype):
            continue
        if isinstance(dtype, pd.StringDtype):  # vectorised: pseudonymized CSVs can be millions of rows
            risky = series.str.startswith(FORMULA_TRIGGERS).fillna(False).astype(bool)
            out.isetitem(position, series.mask(risky, "'" + series))
            continue
        if isinstance(dtype, pd.CategoricalDtype):
            series = series.astype(object)
        out.isetitem(position, series.map(lambda v: formula_safe_text(v) if isinstance(v, str) else v))
    return out


def write_csv_for_excel(frame: pd.DataFrame, path: str | Path) -> Path:
    """CSV at the edges people open in Excel: UTF-8 with BOM, LF line ends, every text field in
    double quotes and formula-safe (:func:`formula_safe_frame`: a leading ``'`` before ``=``, ``+``, ``-``, ``@``,
    tab or line breaks, so Excel shows the text instead of running it). A program reading the
    file back sees the ``'``: programs read the Parquet outputs, people this file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    formula_safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n",
                                     quoting=csv.QUOTE_NONNUMERIC)  # text quoted, numbers left bare
    return path


def write_json(data: Any, path: str | Path, digits: int = FLOAT_DIGITS) -> Path:
    """Write JSON with sorted keys, Japanese kept readable (ensure_ascii=False) and floats
    rounded to ``digits`` significant digits."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(round_data(_plain(data), digits), ensure_ascii=False, indent=2, sort_keys=True,
                      default=_json_default)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _plain(data: Any) -> Any:
    """numpy scalars → Python numbers, recursively (so that they are rounded too)."""
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    if isinstance(data, np.generic):
        return data.item()
    return data


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
