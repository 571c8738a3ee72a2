"""Reusable pieces of the dashboard pages (tiles, tables, charts, banners)."""
