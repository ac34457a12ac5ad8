"""``photosync mirror flickr``: a faithful, resumable local copy of a Flickr photostream."""
