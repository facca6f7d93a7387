"""The ``sedflow`` command: a thin click shell over the library's public API."""
