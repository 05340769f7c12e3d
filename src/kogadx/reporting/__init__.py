"""Rendered HTML reports for policy staff: templates in ``notebooks/reports/`` executed with
papermill, exported with nbconvert (code hidden), made self-contained (embedded images and a
Japanese font subset), checked in headless Chromium and printable to PDF.

Modules: ``render`` (template → HTML), ``page`` (shell, style, external-reference check),
``fonts`` (font subset), ``provenance`` (footer), ``blocks`` / ``findings`` / ``norute``
(used by the templates), ``browser`` (Chromium check), ``pdf`` (printing), ``params`` (section
``report``), ``stage`` (the report stage).
"""
