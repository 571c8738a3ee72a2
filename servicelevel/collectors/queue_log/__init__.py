"""Asterisk queue_log: the parser/state machine, the columnar fast path, the follower, the table."""
