"""Koga City DX data-science workbench.

Nothing is configured at import time: no logging setup, no folders created, no
MLflow URI set. Stages and the CLI call the helpers they need explicitly.
"""

__version__ = "0.1.0"
