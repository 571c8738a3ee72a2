"""Collectors: pull facts from where they live into the store (one module per source kind)."""
