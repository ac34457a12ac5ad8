"""The dashboard ``photosync watch`` serves: pages, actions, thumbnails and ``/metrics``.

Flask (with Werkzeug's threaded WSGI server and Jinja2's autoescaping) runs on one thread of the
daemon: a small, well-kept stack whose server can be started and shut down from a thread, that
ships every template and asset inside the package, and whose idle server costs nothing but a
``select`` every half second.
"""
