"""photosync: keep a local photo library in sync with Flickr and Google Drive."""

__version__ = "0.1.0"
