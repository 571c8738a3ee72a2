"""KPIs: the registry of definitions (:mod:`.registry`) and their pure maths on counts
(:mod:`.maths`; no database, no I/O)."""
