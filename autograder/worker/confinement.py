"""What a freshly forked worker does to itself before any student code runs (Linux).

Each step is a system call through the C library, so that it works on every
Python this package supports (`os.unshare` and `os.mount` do not exist before
Python 3.12):

- `enter_namespaces`: a PID namespace (the worker is process 1 of it and sees
  no process of the grader's, so it cannot signal one) and a mount namespace
  (its mounts are its own), and for a grader that is not root a user
  namespace first, which lets an unprivileged user create the other two;
- `mount_private_proc`: a `/proc` that shows the namespace's processes only;
- `reveal`: makes folders the worker's user needs (the interpreter, say, in
  root's home directory) reachable for it, and hides everything else that
  lies beside them;
- `drop_user`: becomes the unprivileged user for good.
"""

import ctypes
import errno
import os
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 0x2

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p)
_libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
_libc.unshare.argtypes = (ctypes.c_int,)


def _check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _bytes(path):
    return None if path is None else os.fsencode(path)


def mount(source, target, kind=None, flags=0, options=None):
    """`mount(2)`; raises `OSError`."""
    _check(_libc.mount(_bytes(source), _bytes(target), _bytes(kind), flags, _bytes(options)),
           f"mount {target}")


def enter_namespaces(user_namespace=False):
    """Gives this process new mount and PID namespaces (its next child is their process 1).

    Args:
        user_namespace: create a user namespace first, in which this process's
            user is mapped to itself (for a grader that is not root).

    Raises:
        OSError: when the kernel refuses (no privilege, or namespaces disabled).
    """
    if user_namespace:
        uid, gid = os.geteuid(), os.getegid()
        _check(_libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID), "unshare(CLONE_NEWNS | CLONE_NEWPID)")
    # Mounts made from now on stay in this namespace.
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def mount_private_proc():
    """Mounts a `/proc` of this process's PID namespace over the grader's (as its process 1)."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def reveal(blocked, paths, stage):
    """Makes `paths` reachable under the folder `blocked`, which the worker's user cannot enter.

    `blocked` is covered with an empty, world-readable in-memory folder in
    which only `paths` appear, each bind-mounted from its real place (through
    `stage`, an empty folder, on which the real `blocked` is mounted for the
    time it takes). Everything else in `blocked` is out of the worker's sight.

    Args:
        blocked: a folder, e.g. `/root`.
        paths: files or folders inside it, e.g. the interpreter's prefix.
        stage: an empty folder outside `blocked`.
    """
    blocked, stage = Path(blocked), Path(stage)
    mount(blocked, stage, None, MS_BIND | MS_REC)
    mount("tmpfs", blocked, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for path in sorted(Path(path) for path in paths):
        relative = path.relative_to(blocked)
        target = blocked / relative
        folders = [target] if (stage / relative).is_dir() else [target.parent]
        folders += [folder for folder in target.parents if blocked in folder.parents]
        for folder in sorted(folders):
            folder.mkdir(exist_ok=True)
            folder.chmod(0o755)
        if not (stage / relative).is_dir():
            target.touch()
        mount(stage / relative, target, None, MS_BIND | MS_REC)
    # The in-memory folder's own entries cannot change any more.
    mount(None, blocked, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _check(_libc.umount2(os.fsencode(stage), MNT_DETACH), f"umount {stage}")



def drop_user(uid, gid):
    """Becomes `uid`:`gid` with no supplementary groups; root cannot be regained."""
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.geteuid() == 0 or os.getegid() != gid:
        raise OSError(errno.EPERM, f"could not switch to user {uid}")
