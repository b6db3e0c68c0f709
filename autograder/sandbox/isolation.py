"""Who the workers run as, and what they must not read.

When the grader runs as root (as on Gradescope) workers run as an unprivileged
user (`nobody` unless `$AUTOGRADER_WORKER_USER` names another), with no
supplementary groups and no way to regain privileges; `protect` makes the
grader's secrets unreadable for that user. When the grader does not run as
root no user change is possible: student code then runs as the grader's own
user and can read and write what that user can (it still cannot change a
score, which the grader computes and writes last). When root cannot switch
users (e.g. Python lies in root's home directory, which `nobody` cannot
enter), `Isolation.note` says so.
"""

import dataclasses
import os
import pwd
import stat
import sys
import sysconfig
import tempfile
from pathlib import Path

from assignment.implementation import REPO_ROOT

USER_VARIABLE = "AUTOGRADER_WORKER_USER"
DEFAULT_USER = "nobody"
# The grader's code that a worker runs: the worker package and the protocol it speaks.
WORKER_CODE = ("autograder/__init__.py", "autograder/worker", "autograder/protocol.py",
               "autograder/plain.py", "assignment")


class SandboxError(RuntimeError):
    """Raised when workers cannot be isolated as requested."""


@dataclasses.dataclass(frozen=True)
class Isolation:
    """Who the workers run as, and with which Python.

    Attributes:
        python: the interpreter that runs workers.
        uid, gid, user: the unprivileged user workers switch to, or None when
            they keep the grader's user.
        note: why workers keep the grader's user (empty when they switch).
    """

    python: str = sys.executable
    uid: int | None = None
    gid: int | None = None
    user: str | None = None
    note: str = ""

    @property
    def drops_privileges(self):
        return self.uid is not None


def _allowed(info, uid, gids, want):
    """Whether the permission bits of `info` give `uid`/`gids` the access `want` (an `rwx` mask)."""
    if info.st_uid == uid:
        bits = info.st_mode >> 6
    elif info.st_gid in gids:
        bits = info.st_mode >> 3
    else:
        bits = info.st_mode
    return bits & want == want


def can_read(path, uid, gids):
    """Whether user `uid` with groups `gids` can reach and read `path`, from its mode bits.

    Every directory on the way needs search (x) permission; the target needs
    read permission, and search permission too when it is a directory.
    """
    path = Path(os.path.realpath(path))
    for ancestor in reversed(path.parents):
        if not _allowed(os.stat(ancestor), uid, gids, 0o1):
            return False
    info = os.stat(path)
    return _allowed(info, uid, gids, 0o5 if stat.S_ISDIR(info.st_mode) else 0o4)


def needed_paths(python):
    """What a worker must be able to read: the interpreter, its libraries, the worker code."""
    paths = [Path(os.path.realpath(python)), *(REPO_ROOT / name for name in WORKER_CODE)]
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        paths += [Path(sysconfig.get_paths()[name]) for name in ("stdlib", "purelib", "platlib")]
    return [path for path in paths if path.exists()]


def choose_isolation(user=None, python=None):
    """Decides who the workers run as.

    Not root: workers keep the grader's user (nothing else is possible), so
    student code can read whatever the grader's user can read.
    Root: workers run as `user`, else `$AUTOGRADER_WORKER_USER`, else
    `nobody`. When the default user cannot read the interpreter or the worker
    code (e.g. Python installed in root's home directory), workers keep root and the note
    says why; a user named explicitly must work.

    Raises:
        SandboxError: if an explicitly named user does not exist, is root, or
            cannot read what a worker needs.
    """
    python = python or sys.executable
    if os.geteuid() != 0:
        return Isolation(python)
    explicit = user or os.environ.get(USER_VARIABLE)
    name = explicit or DEFAULT_USER
    try:
        entry = pwd.getpwnam(name)
        if entry.pw_uid == 0:
            raise SandboxError(f"the worker user {name} is root")
        blocked = [path for path in needed_paths(python)
                   if not can_read(path, entry.pw_uid, {entry.pw_gid})]
        if blocked:
            raise SandboxError(f"user {name} cannot read {blocked[0]}")
    except (KeyError, SandboxError) as error:
        reason = f"no user {name}" if isinstance(error, KeyError) else str(error)
        if explicit:
            raise SandboxError(f"Cannot run workers as {name}: {reason}.") from None
        return Isolation(python, note=(
            f"Student code runs as root: {reason}. Install Python where every user can read it, "
            f"or name a user in ${USER_VARIABLE}."))
    return Isolation(python, entry.pw_uid, entry.pw_gid, name)


def protect(paths, isolation, needed=()):
    """Makes `paths` unreadable for the workers' user; never undone.

    Each existing path loses its group and other permissions (a directory
    then cannot be entered at all) and, if that user owned it, goes to the
    grader's user. A path is left alone when a worker needs something inside
    it (`needed`, and `needed_paths`) or when it is a shared sticky directory
    such as `/tmp`. Does nothing when workers keep the grader's user.

    Returns:
        The paths that were protected.
    """
    if not isolation.drops_privileges:
        return []
    needed = [Path(os.path.realpath(path)) for path in
              (*needed, *needed_paths(isolation.python), tempfile.gettempdir())]
    protected = []
    for path in paths:
        path = Path(os.path.realpath(path))
        if not path.exists() or any(path == item or path in item.parents for item in needed):
            continue
        info = os.stat(path)
        if info.st_mode & stat.S_ISVTX:
            continue
        if info.st_uid == isolation.uid:
            os.chown(path, os.geteuid(), -1)
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
        protected.append(path)
    return protected
