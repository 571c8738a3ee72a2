"""KPI definitions: pure maths on counts (no database, no I/O)."""
