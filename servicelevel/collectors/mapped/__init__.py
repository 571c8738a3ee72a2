"""Mapped sources: CSV files and SQL queries read through a [[source]] column mapping."""
