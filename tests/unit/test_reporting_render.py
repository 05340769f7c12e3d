"""Executing a report template: the kernel starts quietly (no transport-encryption warning)."""

from __future__ import annotations

from kogadx.reporting.render import execute_template


def test_template_runs_and_kernel_start_prints_no_tcp_warning(tmp_path, capfd):
    template = tmp_path / "t.py"
    template.write_text("# %% tags=[\"parameters\"]\nx = 1\n\n# %%\nprint(x + 41)\n", encoding="utf-8")
    notebook = execute_template(template, {"x": 1}, tmp_path)
    texts = [o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert "42\n" in texts
    err = capfd.readouterr().err
    assert "without encryption" not in err
