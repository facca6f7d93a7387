"""Definition versions: a content hash over the files a process needs.

File *names* do not matter, only their bytes: renaming a file keeps the version, changing a called
process changes the version of every process that calls it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def content_version(files: Mapping[str, bytes]) -> str:
    """16 hex digits of SHA-256 over the sorted hashes of the files' contents."""
    digest = hashlib.sha256()
    for content in sorted(hashlib.sha256(data).digest() for data in files.values()):
        digest.update(content)
    return digest.hexdigest()[:16]
