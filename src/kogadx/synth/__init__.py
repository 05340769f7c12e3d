"""Synthetic Koga: seeded generators that stand in for the city's raw exports.

Pattern for every domain generator (residents, rides, energy, survey …):
- a pure function ``generate_<thing>(rng, <inputs as DataFrames>, **params) -> DataFrame``
  returning the raw export *as the source system would write it* (Japanese headers,
  text values), plus, where the domain has one, a separate truth object for evaluation;
- randomness only from the ``numpy.random.Generator`` passed in, made by
  ``kogadx.rng.stream_rng(seed, "<domain>")`` so that adding a domain never shifts another's draws;
- the ``synthesize`` stage writes raw exports to ``data/raw/`` (CP932 CSV where the real
  system emits it) and truth to ``data/truth/``; both are secure-zone folders.

A leaf: only the synthesize stage imports this package (this file imports nothing).
"""
