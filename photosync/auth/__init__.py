"""OAuth flows (browser, headless paste, export/import) and the token files they produce.

Backends read tokens through :mod:`photosync.auth.tokens` (Flickr) and
:mod:`photosync.auth.drive_credentials` (Drive); the CLI drives the flows in
:mod:`photosync.auth.flickr_auth` and :mod:`photosync.auth.drive_auth`.
"""
