"""PBL (project-based learning) support for the student notebooks in ``notebooks/pbl/``.

- :mod:`kogadx.pbl.data` — read the shareable zone only (a secure-zone path raises
  :class:`kogadx.pbl.data.SecureZoneError` with the reason in Japanese);
- :mod:`kogadx.pbl.checks` — self-check functions that say 正解 / 不正解 with a hint,
  never the answer.

Nothing is read or configured at import time.
"""
