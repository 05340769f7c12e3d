"""One place for figure style and Japanese fonts.

Call ``setup()`` before drawing: theme first, then matplotlib-fontja (IPAex Gothic
shipped inside the package), so Japanese labels never render as boxes (tofu).
"""

from __future__ import annotations

from typing import Any

# Okabe & Ito (2008), "Color Universal Design": distinguishable with the common colour-vision
# deficiencies; its yellow is replaced by grey, which reads better on white.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#7F7F7F"]


def setup() -> Any:
    """Configure matplotlib for the project (Agg backend, style, Japanese font); return pyplot."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import matplotlib_fontja
    from cycler import cycler

    plt.style.use("default")
    matplotlib.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "figure.figsize": (8, 4.5),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=PALETTE),
            # SVG/PDF metadata would embed a date and break byte-identical outputs.
            "svg.hashsalt": "kogadx",
            "pdf.fonttype": 42,
        }
    )
    matplotlib_fontja.japanize()
    matplotlib.rcParams["axes.unicode_minus"] = False
    return plt


def save_figure(fig: Any, path: Any) -> None:
    """Save a PNG without a timestamp in its metadata, so reruns are byte-identical."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight", metadata={"Software": None})


def close_figure(fig: Any) -> None:
    """Release a figure (pyplot keeps every figure until it is closed)."""
    import matplotlib.pyplot as plt

    plt.close(fig)
