"""Persistent state: the SQLite database and the state-dir lock."""
