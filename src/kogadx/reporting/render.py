"""Render one report template: jupytext → papermill (execute) → nbconvert (code hidden) → page.

Templates are jupytext percent ``.py`` files with a ``parameters`` cell. Only what a cell
*displays* (HTML, images) reaches the page: code, prompts, printed streams and bare reprs
are dropped, and any cell error stops the render with the cell's traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kogadx.errors import UserFacingError
from kogadx.reporting.page import assemble_page, external_references, figure_alt_problems

log = logging.getLogger("kogadx.report")

KERNEL_NAME = "python3"


class ReportError(UserFacingError, RuntimeError):
    """A report could not be rendered or failed a self-containment check (names the file)."""


def _kernel_manager_class() -> type:
    """A kernel manager that asks for CurveZMQ transport encryption when the kernel offers it.

    ipykernel ≥ 7.3 prints "Kernel is running over TCP without encryption" on every start
    otherwise — four times per ``make run``, which reads like a fault to a new user.
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class EncryptedKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _default_transport_encryption(self) -> str:
            return "auto"

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client sends SIGINT before every shutdown request. The notebook has finished
            # by then, but a SIGINT that lands while the kernel still handles a message prints
            # "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel." (noise in `make run`).
            # The shutdown request alone stops an idle kernel; SIGTERM/SIGKILL follow if it does not.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return EncryptedKernelManager


def execute_template(template: str | Path, parameters: Mapping[str, Any], cwd: str | Path,
                     kernel_name: str = KERNEL_NAME, timeout_s: int = 600) -> Any:
    """Execute a jupytext template with papermill; return the executed notebook node.

    ``kernel_name="python3"`` is ipykernel's native kernel, which jupyter_client starts with
    the current interpreter (``sys.executable``), so a fresh venv needs no registration.
    """
    import jupytext
    import papermill

    template = Path(template)
    if not template.is_file():
        raise ReportError(f"{template}: レポートのテンプレートがありません")
    notebook = jupytext.read(template)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"c{index:03d}"  # fixed ids: nbformat's random ones would change every render
    notebook.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python 3", "language": "python"}
    try:
        return papermill.execute_notebook(
            notebook, None, parameters=dict(parameters), kernel_name=kernel_name, cwd=str(cwd),
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            execution_timeout=timeout_s, kernel_manager_class=_kernel_manager_class(),
        )
    except papermill.PapermillExecutionError as exc:
        raise ReportError(f"{template}: セル {exc.exec_count} でエラー: {exc.ename}: {exc.evalue}") from exc


def strip_non_display_outputs(notebook: Any) -> Any:
    """Keep only rich display outputs (HTML, images); drop streams, errors and plain reprs.

    Cell ids are renumbered: papermill's injected-parameters cell gets a random one.
    """
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"c{index:03d}"
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                if output.name == "stderr" and output.text.strip():
                    log.info("テンプレートの標準エラー出力 (レポートには載せません): %s", output.text.strip()[:300])
                continue
            if output.output_type in ("display_data", "execute_result"):
                data = output.get("data", {})
                if set(data) <= {"text/plain"}:
                    continue
                data.pop("text/plain", None)
                kept.append(output)
        cell["outputs"] = kept
    return notebook


def notebook_body_html(notebook: Any) -> str:
    """nbconvert's ``basic`` template (body only: no CDN scripts), inputs and prompts hidden."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(notebook)
    return body


def render_report(template: str | Path, parameters: Mapping[str, Any], title: str, footer: str,
                  cwd: str | Path, max_bytes: int = 5_000_000, synthetic: bool = False) -> bytes:
    """Render ``template`` with ``parameters`` to the bytes of a self-contained HTML page.

    Raises :class:`ReportError` when a cell fails, when the page would load anything from
    outside the file, or when it is larger than ``max_bytes``.
    """
    notebook = strip_non_display_outputs(execute_template(template, parameters, cwd))
    page = assemble_page(title, notebook_body_html(notebook), footer, synthetic=synthetic)
    external = external_references(page)
    if external:
        raise ReportError(f"{template}: 外部から読み込む参照があります: {external[:3]}")
    undescribed = figure_alt_problems(page)
    if undescribed:
        raise ReportError(f"{template}: 図の代替テキストに問題があります: {undescribed[:3]}")
    data = page.encode("utf-8")
    if len(data) > max_bytes:
        raise ReportError(f"{template}: レポートが {len(data):,} バイトで上限 {max_bytes:,} バイトを超えています")
    return data
