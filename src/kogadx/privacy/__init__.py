"""Privacy: pseudonymized information (仮名加工情報), anonymized release (匿名加工情報), leak guard.

Main entry points (import from the submodules; nothing runs at import):
- :func:`kogadx.privacy.stage.run_pseudonymize` — the stage: tables in → pseudonymized tables,
  audit and 削除情報等 out (:func:`kogadx.privacy.stage.run_anonymize` likewise for the release).
- :func:`kogadx.privacy.policy.parse_policy_text` — the per-column policy (YAML).
- :func:`kogadx.privacy.transform.pseudonymize_frame` — apply a table policy to one chunk.
- :func:`kogadx.privacy.pseudonym.pseudonymize_series` — keyed HMAC pseudonyms, vectorised.
- :func:`kogadx.privacy.leaks.find_leaks` — canary search over files handed over as bytes.
- :mod:`kogadx.privacy.anonymity` — k-anonymity / l-diversity measurement.
- :func:`kogadx.privacy.anonymize.anonymize_table` — generalise + suppress to reach k and l.
"""
