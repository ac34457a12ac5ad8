"""Remotes: one protocol (``base``), its backends (``memory``, ``flickr``, ``drive``), and what
wraps them (``retry`` for backoff and lost responses, ``pace`` for rate limits, ``files`` for the
local-write side, ``pool`` for concurrent transfers)."""
