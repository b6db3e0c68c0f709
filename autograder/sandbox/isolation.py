"""Who the workers run as, what they can see, and what they must not read.

Three protections, each used wherever the kernel allows it:

- **Another user.** When the grader runs as root (as on Gradescope) workers
  run as an unprivileged user (`nobody` unless `$AUTOGRADER_WORKER_USER`
  names another), with no supplementary groups and no way to regain
  privileges; `protect` makes the grader's secrets unreadable for that user.
- **Namespaces.** Each worker is process 1 of a PID namespace of its own,
  with a mount namespace and a `/proc` of its own: it sees no process of the
  grader's and can signal none (`autograder.worker.confinement`). Root can
  always create them unless its container forbids it (Docker's default
  profile does); a grader that is not root uses a user namespace to create
  them where the kernel lets unprivileged users do so.
- **Revealed folders.** In its mount namespace a worker's user reaches the
  interpreter even where it lies in a folder that user cannot enter (root's
  home directory, say): that folder is covered by one in which only what a
  worker needs appears (`needed_paths`), which also hides the rest of it.

Without root no user change is possible: student code then runs as the
grader's own user and can read and write what that user can (it still
cannot change a score, which the grader computes and writes last).
`Isolation.summary` says in one line which protections are in force.
"""

import dataclasses
import functools
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
               "autograder/plain.py", "assignment", "data")


class SandboxError(RuntimeError):
    """Raised when workers cannot be isolated as requested."""


@dataclasses.dataclass(frozen=True)
class Isolation:
    """Who the workers run as, with which Python, and how they are confined.

    Attributes:
        python: the interpreter that runs the workers' zygote.
        uid, gid, user: the unprivileged user workers switch to, or None when
            they keep the grader's user.
        namespaces: None, `"root"` (PID and mount namespaces made as root) or
            `"user"` (made inside a user namespace, without root).
        reveal: `(blocked folder, paths)` pairs: folders the workers' user
            cannot enter, and what in them it must reach (see `confinement.reveal`).
        note: why workers keep the grader's user (empty when they switch).
    """

    python: str = sys.executable
    uid: int | None = None
    gid: int | None = None
    user: str | None = None
    namespaces: str | None = None
    reveal: tuple = ()
    note: str = ""

    @property
    def drops_privileges(self):
        return self.uid is not None

    @property
    def summary(self):
        """One line for the course staff: the protections in force and those missing."""
        who = (f"Student code runs as {self.user}" if self.drops_privileges
               else f"Student code runs as the grader's own user ({_user_name()})")
        if self.namespaces:
            sight = "in namespaces of its own: it cannot see or signal the grader's processes"
        else:
            sight = ("without namespaces (the kernel or the container refused them): "
                     "it can see the grader's processes" +
                     ("" if self.drops_privileges else " and signal them"))
        files = ("" if self.drops_privileges else
                 "; it can read and write what that user can (the results are still written)")
        reason = f" {self.note}" if self.note else ""
        return f"{who}, {sight}{files}.{reason}"


def _user_name():
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def _allowed(info, uid, gids, want):
    """Whether the permission bits of `info` give `uid`/`gids` the access `want` (an `rwx` mask)."""
    if info.st_uid == uid:
        bits = info.st_mode >> 6
    elif info.st_gid in gids:
        bits = info.st_mode >> 3
    else:
        bits = info.st_mode
    return bits & want == want


def closed_folder(path, uid, gids, below=None):
    """The outermost folder on the way to `path` that user `uid` cannot enter, or None.

    The way is every folder above `path` (only those inside `below`, when
    given) and `path` itself when it is a directory; entering one needs search
    (x) permission for `uid` with groups `gids`, from the mode bits.
    """
    path = Path(os.path.realpath(path))
    for folder in (*reversed(path.parents), *([path] if path.is_dir() else [])):
        if below is not None and (folder == below or folder in Path(below).parents):
            continue
        if not _allowed(os.stat(folder), uid, gids, 0o1):
            return folder
    return None


def can_read(path, uid, gids, below=None):
    """Whether user `uid` with groups `gids` can reach and read `path`, from its mode bits.

    Every folder on the way needs search permission (see `closed_folder`,
    with `below`), and `path` read permission.
    """
    return (closed_folder(path, uid, gids, below) is None
            and _allowed(os.stat(os.path.realpath(path)), uid, gids, 0o4))


def needed_paths(python):
    """What a worker must be able to read: the interpreter (by the name it runs under, and the
    file it is), its libraries, the worker code."""
    paths = [Path(os.path.abspath(python)), Path(os.path.realpath(python)),
             *(REPO_ROOT / name for name in WORKER_CODE)]
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        # The whole installation: a program the worker starts with this interpreter also needs
        # its shared library (lib/libpython3.x.so), not only the standard library.
        paths += [Path(prefix) for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
        paths += [Path(sysconfig.get_paths()[name]) for name in ("stdlib", "purelib", "platlib")]
    return [path for path in paths if path.exists()]


def available_namespaces():
    """`"root"`, `"user"` or None: which namespaces a worker can get here (tried in a child)."""
    kind = "root" if os.geteuid() == 0 else "user"
    return kind if _namespaces_work(kind) else None


@functools.cache
def _namespaces_work(kind):
    from autograder.worker import confinement

    child = os.fork()
    if child == 0:
        status = 1
        try:
            confinement.enter_namespaces(user_namespace=kind == "user")
            grandchild = os.fork()
            if grandchild == 0:
                try:
                    confinement.mount_private_proc()
                    os._exit(0)
                except BaseException:  # noqa: BLE001
                    os._exit(1)
            status = os.waitpid(grandchild, 0)[1] != 0
        finally:
            os._exit(status)
    return os.waitpid(child, 0)[1] == 0


def reveal_plan(paths, uid, gids):
    """`(blocked folder, paths in it)` pairs that make `paths` reachable for `uid`, or None.

    For each path that `uid` cannot reach, the outermost folder on its way
    that `uid` cannot enter is covered (see `confinement.reveal`); None when
    a path would still be unreadable below that folder.
    """
    plan = {}
    for path in map(lambda item: Path(os.path.abspath(item)), paths):
        if can_read(path, uid, gids):
            continue
        blocked = next(ancestor for ancestor in reversed(path.parents)
                       if not _allowed(os.stat(ancestor), uid, gids, 0o1))
        if blocked == Path("/") or not can_read(path, uid, gids, below=blocked):
            return None
        plan.setdefault(blocked, []).append(path)
    return tuple((str(blocked), tuple(str(path) for path in _outermost(paths)))
                 for blocked, paths in sorted(plan.items()))


def _outermost(paths):
    """`paths` without those inside another of them."""
    return [path for path in sorted(set(paths))
            if not any(other != path and other in path.parents for other in paths)]


def choose_isolation(user=None, python=None):
    """Decides who the workers run as, and how they are confined.

    Not root: workers keep the grader's user (nothing else is possible), so
    student code can read whatever the grader's user can read; they get a
    user namespace and the PID and mount namespaces in it where the kernel allows.
    Root: workers run as `user`, else `$AUTOGRADER_WORKER_USER`, else
    `nobody`, in PID and mount namespaces where they can be made. When that
    user cannot read the interpreter or the worker code (e.g. Python
    installed in root's home directory) the folder in the way is covered in
    the workers' mount namespace (`reveal_plan`); where no namespace can be
    made, or where that user cannot enter the temporary folder (`TMPDIR`) in
    which the workers' files are made, workers keep root and the note says
    why. A user named explicitly must work.

    Raises:
        SandboxError: if an explicitly named user does not exist, is root, or
            cannot read what a worker needs.
    """
    python = str(python or sys.executable)
    namespaces = available_namespaces()
    if os.geteuid() != 0:
        return Isolation(python, namespaces=namespaces)
    explicit = user or os.environ.get(USER_VARIABLE)
    name = explicit or DEFAULT_USER
    reveal = ()
    try:
        entry = pwd.getpwnam(name)
        if entry.pw_uid == 0:
            raise SandboxError(f"the worker user {name} is root")
        needed = needed_paths(python)
        gids = {entry.pw_gid}
        blocked = [path for path in needed if not can_read(path, entry.pw_uid, gids)]
        if blocked:
            plan = reveal_plan(needed, entry.pw_uid, gids) if namespaces else None
            if plan is None:
                raise SandboxError(f"user {name} cannot read {blocked[0]}; install Python where "
                                   "every user can read it")
            reveal = plan
        temporary = tempfile.gettempdir()
        closed = closed_folder(temporary, entry.pw_uid, gids)
        if closed is not None:
            mode = stat.S_IMODE(os.stat(closed).st_mode)
            if closed == Path(os.path.realpath(temporary)):
                why = f"(mode {mode:04o}); give it mode 1777, as /tmp has"
            else:
                why = (f"(the folder {closed} on its way has mode {mode:04o}); let every user "
                       f"enter that folder (chmod o+x {closed})")
            raise SandboxError(
                f"user {name} cannot enter the temporary folder {temporary}, where each worker's "
                f"files are made {why}, or point TMPDIR to a folder that user can enter")
    except (KeyError, SandboxError) as error:
        reason = f"no user {name}" if isinstance(error, KeyError) else str(error)
        if explicit:
            raise SandboxError(f"Cannot run workers as {name}: {reason}.") from None
        return Isolation(python, namespaces=namespaces, note=(
            f"Student code runs as root: {reason}. Or name a user in ${USER_VARIABLE}."))
    return Isolation(python, entry.pw_uid, entry.pw_gid, name, namespaces, reveal)


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
