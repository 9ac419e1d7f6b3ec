"""Files in and out: bounded reads (regular files only, never more than the limit in memory) and
atomic writes (a temporary file beside the target, renamed at the end: never a partial file)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, BinaryIO

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
            raise error(f"{name}: the {what} is {info.st_size:,} bytes, larger than the limit (at most {limit:,} bytes)")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise error(f"{name}: the {what} is larger than the limit (at most {limit:,} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"{name}: cannot read the {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_stream_bounded(stream: BinaryIO, limit: int, *, name: str = "<stdin>", what: str = "input",
                        error: type[SpsRulesError] = SpsRulesError) -> bytes:
    """At most ``limit`` bytes of an open binary stream (standard input); ``error`` past the limit."""
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise error(f"{name}: cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{name}: the {what} is larger than the limit (at most {limit:,} bytes)")
    return bytes(data)


def same_file(a: Path | str, b: Path | str) -> bool:
    """Whether two paths name one file (also through symbolic and hard links); False if either is missing."""
    try:
        first, second = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def check_output(output: Path | str, *inputs: Path | str, error: type[SpsRulesError] = SpsRulesError) -> None:
    """Refuse an output path that is one of the inputs (also via links) or that cannot be written.

    Call it before reading or writing anything, so a refused run leaves every file as it was.
    """
    name = str(output)
    for source in inputs:
        if str(source) != "-" and same_file(output, source):
            raise error(f"{name}: the output is the input file {source}; choose another output file")
    target = Path(output)
    if target.is_dir():
        raise error(f"{name}: the output is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise error(f"{name}: the output is not a regular file")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise error(f"{name}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise error(f"{name}: the folder {folder} is not writable")


def _mode_for(target: Path) -> int:
    """The permissions ``open(target, "w")`` would give: the existing file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        pass
    umask = 0o022
    try:  # read, not set: os.umask() would change it for every thread for a moment
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o666 & ~umask


@contextmanager
def atomic_output(path: Path | str, *, mode: str = "w", encoding: str | None = "utf-8", what: str = "file",
                  error: type[SpsRulesError] = SpsRulesError, permissions: int | None = None,
                  replace: bool = True) -> Iterator[IO[Any]]:
    """A file to write that appears under ``path`` only when the ``with`` block ends without error.

    It is written as a temporary file beside ``path`` (same folder, so the rename is atomic), flushed
    to disk and renamed over ``path`` at the end. An exception, a kill or a full disk leaves ``path``
    as it was (absent, or its earlier content) and removes the temporary file where it can.
    ``permissions`` overrides the file mode (0600 for records and private keys); with
    ``replace=False`` an existing ``path`` (even a dangling link) is never replaced: the file is
    linked into place, which fails if anything appeared there meanwhile.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not replace and os.path.lexists(target):
        raise error(f"{target}: exists already; it is never overwritten")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise error(f"{target}: cannot write the {what}: {exc.strerror or exc}") from None
    done = False
    try:
        os.fchmod(fd, _mode_for(target) if permissions is None else permissions)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temp, target)
        else:
            os.link(temp, target)  # fails if anything appeared at target meanwhile
            with suppress(OSError):
                os.unlink(temp)
        done = True
        _sync_folder(folder)
    except FileExistsError:
        raise error(f"{target}: exists already; it is never overwritten") from None
    except OSError as exc:
        raise error(f"{target}: cannot write the {what}: {exc.strerror or exc}") from None
    finally:
        if not done:
            with suppress(OSError):
                os.unlink(temp)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file to disk too (best effort: not every file system can)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path | str, content: str | bytes, *, what: str = "file",
                 error: type[SpsRulesError] = SpsRulesError, permissions: int | None = None,
                 replace: bool = True) -> None:
    """Write ``content`` to ``path`` all at once: a reader sees the old file or the new one, never a part."""
    if isinstance(content, bytes):
        with atomic_output(path, mode="wb", what=what, error=error, permissions=permissions, replace=replace) as handle:
            handle.write(content)
    else:
        with atomic_output(path, what=what, error=error, permissions=permissions, replace=replace) as handle:
            handle.write(content)
