"""Ingest: read raw exports (CP932/UTF-8), validate against data contracts, normalise,
quarantine bad records with reasons. rows in = rows out + rows quarantined."""
