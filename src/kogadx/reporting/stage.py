"""The ``report`` stage: render the five reports, check them in Chromium, keep screenshots."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kogadx.reporting.page import footer_html
from kogadx.reporting.provenance import collect_provenance
from kogadx.reporting.render import ReportError, render_report

log = logging.getLogger("kogadx.report")


@dataclass(frozen=True)
class ReportSpec:
    """One report: template, title, the params sections it depends on, its parameters and inputs."""

    name: str
    title: str
    params_sections: tuple[str, ...]
    parameters: dict[str, Any]
    inputs: tuple[Path, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class StagePaths:
    """Folders the stage reads and writes, as given on the command line."""

    templates: Path
    metrics: Path
    figures: Path
    features: Path
    pseudonymized: Path
    privacy: Path
    out: Path
    screenshots: Path


def report_specs(paths: StagePaths, params: Mapping[str, Any], all_params: Mapping[str, Any]) -> list[ReportSpec]:
    """The five reports with absolute-path parameters; optional inputs are read only if present."""
    p = paths
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
               "anonymize_metrics": p.metrics / "anonymize.json", "ingest_metrics": p.metrics / "ingest.json"}
    # the staff workbook is the regulation_scan stage's output next to the reports
    regulation = {"regulation_metrics": p.metrics / "regulation.json", "review_xlsx": p.out / "regulation" / "review.xlsx"}
    level = float((all_params.get("wellbeing") or {}).get("level", 0.95))
    return [
        ReportSpec("norute", "のるーと古賀 運行・需要レポート", ("features", "forecast", "dispatch", "report"),
                   {**_str(norute), "top_od_pairs": int(params["top_od_pairs"])}, _existing(norute.values())),
        ReportSpec("co2", "事業所の CO2 排出量レポート", ("co2", "report"),
                   {**_str(co2), "example_businesses": int(params["co2_example_businesses"])}, _existing(co2.values())),
        ReportSpec("wellbeing", "地域幸福度 調査レポート", ("wellbeing", "report"),
                   {**_str(wellbeing), "level": level}, _existing(wellbeing.values())),
        ReportSpec("privacy", "個人情報の加工 監査レポート", ("pseudonymize", "anonymize", "ingest", "report"),
                   _str(privacy), _existing(privacy.values())),
        ReportSpec("regulation", "アナログ規制の点検レポート", ("regulation_scan", "report"),
                   {**_str(regulation), "top_n": int(params.get("regulation_top_n", 30))}, _existing(regulation.values())),
    ]


def build_reports(paths: StagePaths, params: Mapping[str, Any], all_params: Mapping[str, Any],
                  root: Path, only: list[str] | None = None) -> list[Path]:
    """Render every report (or those in ``only``) into ``paths.out``; return the HTML paths."""
    written = []
    for spec in report_specs(paths, params, all_params):
        if only and spec.name not in only:
            continue
        prov = collect_provenance(all_params, spec.params_sections, spec.inputs, root)
        out = paths.out / f"{spec.name}.html"
        render_report(paths.templates / f"{spec.name}.py", spec.parameters, spec.title, footer_html(prov),
                      out, cwd=root, max_bytes=int(float(params["max_mb"]) * 1_000_000))
        log.info("%s: %s (%s バイト)", spec.name, out, f"{out.stat().st_size:,}")
        written.append(out)
    return written


def check_and_screenshot(reports: list[Path], screenshots: Path, params: Mapping[str, Any]) -> None:
    """Open each report in headless Chromium and keep a screenshot; raise on any problem.

    With ``report.browser_check: false`` (e.g. a laptop without Chromium) the folder only
    holds a note saying the reports were not checked in a browser.
    """
    from kogadx.reporting.browser import check_reports, find_chromium

    screenshots.mkdir(parents=True, exist_ok=True)
    for old in screenshots.glob("*"):
        old.unlink()
    if not params.get("browser_check", True):
        (screenshots / "NOT_CHECKED.txt").write_text(
            "report.browser_check が false のため、ブラウザでの確認とスクリーンショットは行っていません。\n",
            encoding="utf-8")
        return
    if find_chromium(params.get("chromium_path")) is None:
        # The reports themselves are complete; only the browser check is missing. Say so loudly
        # rather than failing `make run` on a laptop without Chromium (CI installs it and tests it).
        message = ("Chromium が見つからないため、ブラウザでの確認とスクリーンショットを省略しました。"
                   "Debian では sudo apt-get install chromium で入れてから dvc repro -f report を実行してください。")
        logging.getLogger("kogadx.report").warning(message)
        (screenshots / "NOT_CHECKED.txt").write_text(message + "\n", encoding="utf-8")
        return
    results = check_reports(reports, screenshots, params.get("chromium_path"), int(params["viewport_width"]))
    problems = [f"{r.report.name}: {p}" for r in results for p in r.problems]
    if problems:
        raise ReportError("ブラウザでの確認で問題が見つかりました:\n" + "\n".join(problems))


def _str(mapping: Mapping[str, Path]) -> dict[str, str]:
    return {k: str(Path(v).resolve()) for k, v in mapping.items()}


def _existing(paths: Any) -> tuple[Path, ...]:
    return tuple(Path(p) for p in paths if Path(p).exists())
