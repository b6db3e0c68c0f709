"""Writing a result where a grading service reads it: once, whole, and out of students' reach.

A service reads the results from a file (`write_file`: a temporary file renamed
into place, so a reader never sees half of it), from a stream such as standard
output or an inherited file descriptor (`write_stream`: one write after
everything else printed; `write` chooses between the two by the destination's
name), or from a file of `name=value` lines that other steps also write to
(`append_line`: one append).

Where the grader and student code run as the same user (Autolab, CodeGrade,
GitHub Actions), that user could open the grader's streams through
`/proc/<pid>/fd`; `keep_streams_private` closes that door.
"""

import ctypes
import os
import sys
import tempfile
from pathlib import Path

# prctl(2): PR_SET_DUMPABLE 0 makes /proc/<pid>/fd of this process root's only.
PR_SET_DUMPABLE = 4


def write_file(path, data):
    """Writes the bytes `data` to `path` atomically (temporary file, then rename), mode 0644."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
            os.fchmod(file.fileno(), 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def write_stream(fd, data):
    """Writes the bytes `data` to the open file descriptor `fd`, after what Python buffered."""
    sys.stdout.flush()
    sys.stderr.flush()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write(destination, data):
    """Writes the bytes `data` to `destination`: `-` (standard output), `/dev/fd/N`, or a file."""
    if destination == "-":
        write_stream(1, data)
    elif destination.startswith("/dev/fd/"):
        write_stream(int(destination[len("/dev/fd/"):]), data)
    else:
        write_file(destination, data)


def append_line(path, line):
    """Appends `line` (bytes ending in a newline) to `path` in one write."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        write_stream(fd, line)
    finally:
        os.close(fd)


def keep_streams_private():
    """Makes this process's open files unreachable for other processes of its user (Linux).

    Returns:
        Whether it worked (False where `prctl` is missing, e.g. not on Linux).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
