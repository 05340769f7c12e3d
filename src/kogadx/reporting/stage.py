"""The ``report`` stage: render the six reports, check them in Chromium, keep screenshots.

:func:`run_report` returns the pages and screenshots as bytes in a
:class:`kogadx.stage.StageOutputs`; ``pipelines/report.py`` passes the folders to read and
writes what comes back. Unlike a domain stage, this one reads files itself: ``reporting`` is
I/O-facing by design (its templates read the pipeline's outputs in their own kernel, the
footer hashes every file a report read, and the browser opens pages from disk).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kogadx.counter.params import CounterParams
from kogadx.io import get_stage_logger
from kogadx.parallel import ordered_map, worker_count
from kogadx.params import validate_params
from kogadx.progress import steps
from kogadx.reporting.page import footer_html
from kogadx.reporting.params import ReportParams
from kogadx.reporting.provenance import collect_provenance, synthetic_input
from kogadx.reporting.render import ReportError, render_report
from kogadx.stage import Artifact, BytesFile, StageOutputs, TextFile
from kogadx.wellbeing.params import WellbeingParams

log = logging.getLogger("kogadx.report")

NOT_CHECKED_FILE = "NOT_CHECKED.txt"


@dataclass(frozen=True)
class ReportInputs:
    """Where the templates read the pipeline's outputs, and the params for the footer.

    Paths, by exception to the stage contract: the templates run in their own Jupyter kernel
    and read the files themselves, and the footer lists the SHA-256 of every file a report
    read. ``metrics``, ``figures``, ``features``, ``pseudonymized`` and ``privacy`` are the
    folders of the other stages' outputs; ``review`` is the regulation_scan stage's staff
    workbook. ``all_params`` is the whole params file as plain data
    (:func:`kogadx.params.read_params_file`): the footer hashes the sections each report
    depends on. ``root`` is the project: the templates' working directory, the git commit and
    date of the footer, and what the footer's file paths are relative to.
    """

    templates: Path
    metrics: Path
    figures: Path
    features: Path
    pseudonymized: Path
    privacy: Path
    review: Path
    all_params: Mapping[str, Any]
    root: Path


@dataclass(frozen=True)
class ReportSpec:
    """One report: template, title, the params sections it depends on, its parameters and inputs."""

    name: str
    title: str
    params_sections: tuple[str, ...]
    parameters: dict[str, Any]
    inputs: tuple[Path, ...] = field(default_factory=tuple)
    # The report's numbers come from the register/ride/energy/survey exports, so ingest's verdict on
    # whether those are the synthetic demo decides the banner (False: a corpus of real texts).
    from_exports: bool = True


def run_report(inputs: ReportInputs, params: ReportParams) -> StageOutputs:
    """The stage: every report as ``reports/<name>.html``, the browser check's screenshots (or a
    note saying why there are none) as ``screenshots/…``."""
    pages = render_reports(inputs, params)
    shots = check_and_screenshot(pages, params)
    checked = "ブラウザで確認済み" if NOT_CHECKED_FILE not in shots else "ブラウザでは未確認"
    return StageOutputs(
        files={**{f"reports/{name}.html": BytesFile(page) for name, page in pages.items()},
               **{f"screenshots/{name}": shot for name, shot in shots.items()}},
        summary=f"report: レポート {len(pages)} 件 ({checked})",
    )


def report_specs(inputs: ReportInputs, params: ReportParams) -> list[ReportSpec]:
    """The six reports with absolute-path parameters; optional inputs are read only if present."""
    p = inputs
    norute = {
        "demand_metrics": p.metrics / "demand.json", "dispatch_metrics": p.metrics / "dispatch.json",
        "demand_figures": p.figures / "demand", "dispatch_figures": p.figures / "dispatch",
        "demand_panel": p.features / "demand_panel.parquet", "demand_forecast": p.features / "demand_forecast.parquet",
        "ride_requests": p.pseudonymized / "ride_requests.parquet", "stops": p.pseudonymized / "stops.parquet",
        "towns": p.pseudonymized / "towns.parquet",
    }
    co2 = {"co2_metrics": p.metrics / "co2.json", "co2_figures": p.figures / "co2", "co2_tables": p.features / "co2"}
    wellbeing = {"wellbeing_metrics": p.metrics / "wellbeing.json", "wellbeing_figures": p.figures / "wellbeing",
                 "wellbeing_tables": p.features / "wellbeing"}
    privacy = {"pseudonymize_audit": p.privacy / "pseudonymize_audit.json",
               "anonymize_metrics": p.metrics / "anonymize.json", "ingest_metrics": p.metrics / "ingest.json",
               "student_tier_metrics": p.metrics / "student_tier.json"}
    regulation = {"regulation_metrics": p.metrics / "regulation.json", "review_xlsx": p.review}
    counter = {"counter_metrics": p.metrics / "counter.json", "counter_figures": p.figures / "counter",
               "counter_tables": p.features / "counter"}
    counter_params = validate_params(CounterParams, p.all_params.get("counter"), prefix="counter")
    # the interval level the wellbeing stage used, read with that stage's own schema
    level = validate_params(WellbeingParams, p.all_params.get("wellbeing"), prefix="wellbeing").level
    return [
        ReportSpec("norute", "のるーと古賀 運行・需要レポート", ("features", "forecast", "dispatch", "report"),
                   {**_str(norute), "top_od_pairs": params.top_od_pairs,
                    "cost_per_vehicle_hour_yen": params.norute_cost_per_vehicle_hour_yen,
                    "fare_yen": params.norute_fare_yen}, _existing(norute.values())),
        ReportSpec("co2", "事業所の CO2 排出量レポート", ("co2", "report"),
                   _str(co2), _existing(co2.values())),
        ReportSpec("wellbeing", "地域幸福度 調査レポート", ("wellbeing", "report"),
                   {**_str(wellbeing), "level": level},
                   _existing(wellbeing.values())),
        ReportSpec("privacy", "個人情報の加工 自動点検レポート",
                   ("pseudonymize", "anonymize", "student_tier", "ingest", "report"),
                   _str(privacy), _existing(privacy.values())),
        ReportSpec("regulation", "アナログ規制の点検レポート", ("regulation_scan", "report"),
                   {**_str(regulation), "top_n": params.regulation_top_n}, _existing(regulation.values()),
                   from_exports=False),
        ReportSpec("counter", "現況届 窓口の混雑と人員配置", ("counter", "report"),
                   {**_str(counter), "online_saving": counter_params.online_saving,
                    "staff_per_counter": counter_params.staff_per_counter},
                   _existing(counter.values())),
    ]


def render_reports(inputs: ReportInputs, params: ReportParams, only: Iterable[str] | None = None) -> dict[str, bytes]:
    """Render every report (or those named in ``only``): {name: HTML bytes}.

    Each report runs in its own kernel and reads only files, so the reports are rendered in
    parallel processes (``KOGADX_WORKERS``); the pages do not depend on which process made them.
    """
    wanted = set(only) if only is not None else None
    synthetic = synthetic_input(inputs.metrics)
    tasks = []
    for spec in report_specs(inputs, params):
        if wanted is not None and spec.name not in wanted:
            continue
        flag = synthetic and spec.from_exports
        prov = collect_provenance(inputs.all_params, spec.params_sections, spec.inputs, inputs.root, synthetic=flag)
        tasks.append((spec.name, inputs.templates / f"{spec.name}.py", spec.parameters, spec.title,
                      footer_html(prov), inputs.root, int(params.max_mb * 1_000_000), flag))
    pages: dict[str, bytes] = {}
    done = ordered_map(_render_task, tasks, worker_count())
    for (name, *_), page in zip(tasks, steps(done, desc="レポート作成", total=len(tasks), unit="件"), strict=True):
        pages[name] = page
        log.info("%s: %s バイト", name, f"{len(page):,}")
    return pages


def _render_task(name: str, template: Path, parameters: Mapping[str, Any], title: str, footer: str, cwd: Path,
                 max_bytes: int, synthetic: bool) -> bytes:
    """One report, in a worker process or this one (the template's stderr notes are logged)."""
    get_stage_logger("report")  # a fresh worker process: print its notes as the parent does
    return render_report(template, parameters, title, footer, cwd=cwd, max_bytes=max_bytes, synthetic=synthetic)


def check_and_screenshot(pages: Mapping[str, bytes], params: ReportParams) -> dict[str, Artifact]:
    """Open each page in headless Chromium: {file name: screenshot}; raise on any problem.

    The pages are written to a temporary folder for the browser, and the screenshots read
    back. With ``report.browser_check: false`` (e.g. a laptop without Chromium), or when
    Chromium is not found, the result is only a note saying the reports were not checked.
    """
    from kogadx.reporting.browser import check_reports, find_chromium

    if not params.browser_check:
        return {NOT_CHECKED_FILE: TextFile(
            "report.browser_check が false のため、ブラウザでの確認とスクリーンショットは行っていません。\n")}
    if find_chromium(params.chromium_path) is None:
        # The reports themselves are complete; only the browser check is missing. Say so loudly
        # rather than failing `make run` on a laptop without Chromium (CI installs it and tests it).
        message = ("Chromium が見つからないため、ブラウザでの確認とスクリーンショットを省略しました。"
                   "Debian では sudo apt-get install chromium で入れてから dvc repro -f report を実行してください。")
        log.warning(message)
        return {NOT_CHECKED_FILE: TextFile(message + "\n")}
    with tempfile.TemporaryDirectory(prefix="kogadx-report-") as tmp:
        folder = Path(tmp)
        files = []
        for name, page in pages.items():
            files.append(folder / f"{name}.html")
            files[-1].write_bytes(page)
        results = check_reports(files, folder / "screenshots", params.chromium_path, params.viewport_width,
                                params.phone_width)
        problems = [f"{r.report.name}: {p}" for r in results for p in r.problems]
        if problems:
            raise ReportError("ブラウザでの確認で問題が見つかりました:\n" + "\n".join(problems))
        shots = [s for r in results for s in (r.screenshot, r.phone_screenshot) if s is not None]
        return {shot.name: BytesFile(shot.read_bytes()) for shot in shots}


def _str(mapping: Mapping[str, Path]) -> dict[str, str]:
    return {k: str(Path(v).resolve()) for k, v in mapping.items()}


def _existing(paths: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(Path(p) for p in paths if Path(p).exists())
