"""Writing records, keys and documents so that a reader never sees half a file.

The bytes go to a temporary file beside the target (same folder, so the same file system),
are flushed to disk, and the file is then renamed over the target (or, when the target must
not exist yet, linked to it, which fails instead of replacing a file). A failure at any point
leaves the target as it was and no temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..model.errors import SpsRulesError


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, replace: bool = True,
                 error: type[SpsRulesError] = SpsRulesError, what: str = "file") -> None:
    """Write ``data`` to ``path`` atomically with permissions ``mode``.

    With ``replace=False`` an existing ``path`` (also a dangling link) is never touched: ``error``
    is raised instead. Any OS failure raises ``error`` naming the file.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not replace and os.path.lexists(path):
        raise error(f"{path}: the {what} exists already; it is never overwritten")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise error(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # fails if path appeared meanwhile: never replaces a file
            os.unlink(temp)
        _sync_folder(folder)
    except FileExistsError:
        _remove(temp)
        raise error(f"{path}: the {what} exists already; it is never overwritten") from None
    except OSError as exc:
        _remove(temp)
        raise error(f"{path}: cannot write the {what}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(temp)
        raise


def _remove(temp: str) -> None:
    try:
        os.unlink(temp)
    except OSError:
        pass


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - a folder that cannot be opened for reading
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)
