"""Reading input files with a size limit: regular files only, never more than the limit into memory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import SpsRulesError


def read_bounded(path: Path | str, limit: int, *, what: str = "file",
                 error: type[SpsRulesError] = SpsRulesError) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    A FIFO, a device such as ``/dev/zero``, a folder or a missing file raises ``error`` naming the
    file; so does a file over the limit, without reading more than ``limit + 1`` bytes of it.
    """
    name = str(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"{name}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{name}: the {what} is not a regular file")
        if info.st_size > limit:
            raise error(f"{name}: the {what} is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(f"{name}: the {what} is larger than {limit:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"{name}: cannot read the {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
