"""Decode one file: the public entry point, light to import.

The work is in :mod:`photosync.library.magick`, which loads ImageMagick (~0.4 s); importing this
module does not, so commands that never decode start fast. See magick.py for what a decode yields
and how signatures of animated images are defined.
"""

from __future__ import annotations

from photosync.library.outcome import Decoded


def decode_file(path: str, media: str = "photo") -> Decoded:
    """Hash (and for photos decode) ``path``; never raises for a bad file (see ``error``)."""
    from photosync.library import magick
    return magick.decode_file(path, media)


def init_worker() -> None:
    """Process-pool initializer: ImageMagick resource limits for this process."""
    from photosync.library import magick
    magick.init_worker()

