"""Synthetic Koga: seeded generators that stand in for the city's raw exports.

Pattern for every domain generator (residents, rides, energy, survey …):
- a pure function ``generate_<thing>(rng, <inputs as DataFrames>, config)`` taking its typed
  settings (a section of :mod:`kogadx.synth.params`, defaults in the dataclass) and returning
  the raw export *as the source system would write it* (Japanese headers, text values), plus,
  where the domain has one, a separate truth object for evaluation;
- randomness only from the ``numpy.random.Generator`` passed in, made by
  ``kogadx.rng.stream_rng(seed, "<domain>")`` so that adding a domain never shifts another's draws;
- the ``synthesize`` stage (:mod:`kogadx.synth.stage`) lays the raw exports out in ``data/raw/``
  (CP932 CSV where the real system emits it) and the truth in ``data/truth/``; both are
  secure-zone folders.

A leaf: no other package imports this one (only the synthesize stage, tests and benchmarks do);
it may import other domains. This file imports nothing.
"""
