"""Executing a report template: the kernel starts quietly (no transport-encryption warning)."""

from __future__ import annotations

import asyncio
import signal

import pytest

from kogadx.reporting.render import _kernel_manager_class, execute_template


def test_template_runs_and_kernel_start_prints_no_tcp_warning(tmp_path, capfd):
    template = tmp_path / "t.py"
    template.write_text("# %% tags=[\"parameters\"]\nx = 1\n\n# %%\nprint(x + 41)\n", encoding="utf-8")
    notebook = execute_template(template, {"x": 1}, tmp_path)
    texts = [o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert "42\n" in texts
    err = capfd.readouterr().err
    assert "without encryption" not in err


def test_kernel_gets_no_sigint_when_shut_down():
    """The SIGINT jupyter_client sends before a shutdown request printed "[IPKernelApp] ERROR |
    KeyboardInterrupt caught in kernel." during `make run`; a finished notebook's kernel is only
    asked to shut down. An interrupt outside shutdown is still passed on."""
    manager = _kernel_manager_class()()
    sent: list[int] = []

    async def record(signum: int) -> None:
        sent.append(signum)

    manager._async_signal_kernel = record  # type: ignore[method-assign]
    manager.shutting_down = True
    asyncio.run(manager._async_interrupt_kernel())
    assert sent == []
    manager.shutting_down = False
    with pytest.raises(RuntimeError, match="No kernel is running"):  # passed on to jupyter_client
        asyncio.run(manager._async_interrupt_kernel())
    assert signal.SIGINT not in sent
