"""Manufacturer site dossiers: one product's site requirements, their evidence files, a manifest and an index."""
