"""photosync: keep a local photo library in sync with Flickr and Google Drive."""

import os as _os

__version__ = "0.1.0"

# ImageMagick reads its resource policy once, when Wand is first imported, so this must come
# before any import of Wand in a photosync process. See library/magick-policy/policy.xml for why.
_os.environ.setdefault("MAGICK_CONFIGURE_PATH",
                       _os.path.join(_os.path.dirname(__file__), "library", "magick-policy"))
