"""Command-line interface: thin adapters over the library, one place that talks errors."""
