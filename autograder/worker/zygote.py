"""The zygote: imports TensorFlow once, then forks every worker from that state.

A fresh interpreter that imports TensorFlow and Keras spends 3.4-4.9 s of
CPU and some 250 MB of private memory on it; a process forked from one that
has imported them starts at once and shares those pages. A fork made after
the parent ran a single TensorFlow operation hangs (its thread pools do not
survive a fork), so the zygote runs none and stays single-threaded
(`OPENBLAS_NUM_THREADS=1` keeps NumPy's BLAS from starting threads).

Started by `autograder.sandbox.launcher.Launcher` as
`python -m autograder.worker.zygote FD`, FD being its end of a Unix
socket. Once it has imported the worker's runtime it reports
`{"ready": true}`; then each request on the socket is one JSON message
carrying three file descriptors (the worker's status pipe, command pipe and
output pipe); before the first worker of a probe module it imports that
module, and TensorFlow with it (`preload`):

    {"config": ".../requests/worker.json", "probe_module": MODULE,
     "cwd": WORKDIR, "env": {...},
     "user": [uid, gid] or null, "namespaces": null, "root" or "user",
     "reveal": [[blocked folder, [path, ...]], ...], "stage": FOLDER,
     "threads": N}

For each, the zygote forks an intermediate process, which enters the
namespaces (`confinement`) and forks the worker, then exits: the worker is
re-parented to the grading process (a child subreaper), which then waits for
it, reads its exit status and kills it like a child of its own. The reply is
`{"pid": PID}` (the worker's pid as the grader sees it) or `{"error": "..."}`.
"""

import contextlib
import fcntl
import gc
import importlib
import json
import os
import socket
import sys
import tempfile
import traceback
from pathlib import Path

from autograder.worker import confinement

MAX_MESSAGE = 1 << 20
# File descriptors of the worker's status and command pipes (written into worker.json).
STATUS_FD = 3
COMMAND_FD = 4
# Exit status of a worker whose confinement failed.
CONFINEMENT_FAILED = 70
# Packages Keras imports when they are installed, for its plotting helpers and notebook displays,
# which no probe uses: hidden while the zygote imports TensorFlow and Keras, they take that import
# from 3.90-3.97 s to 2.97-3.19 s (three alternating runs each of `import tensorflow, keras` with
# and without them), and stay importable by student code.
UNUSED_BY_KERAS = ("matplotlib", "IPython")


def preload(module):
    """Imports probe `module` and what it imports (TensorFlow and Keras, for most); runs no op.

    Called before the first worker of each probe module is forked, so that a
    grading of Part 1 alone never imports TensorFlow. An import that fails is
    left to the workers, which import the module again and report the error
    where it belongs.
    """
    if module in sys.modules:
        return
    try:
        with hidden(UNUSED_BY_KERAS):
            importlib.import_module(module)
    except Exception:  # noqa: BLE001  (see the docstring)
        return
    gc.freeze()  # what is imported now stays out of the collector's sight in every fork


@contextlib.contextmanager
def hidden(packages):
    """Within it, importing one of `packages` (not yet imported) raises `ImportError`."""
    absent = [name for name in packages if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in absent:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]


def _arrange_descriptors(status, command, log):
    """Puts the pipes where the worker expects them and closes every other descriptor."""
    # Copies above the targets first, so that no move overwrites a pipe still to be moved.
    status, command, log = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, COMMAND_FD + 1)
                            for fd in (status, command, log))
    devnull = os.open(os.devnull, os.O_RDONLY)
    for fd, target in ((devnull, 0), (log, 1), (log, 2), (status, STATUS_FD),
                       (command, COMMAND_FD)):
        os.dup2(fd, target, inheritable=target <= 2)
    os.closerange(COMMAND_FD + 1, os.sysconf("SC_OPEN_MAX"))


def _size_thread_pools(threads):
    """Sizes TensorFlow's thread pools for the CPUs the grading machine grants (before any op)."""
    if threads and "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def become_worker(request, fds):
    """Confines this freshly forked process, then runs the worker in it; never returns."""
    status = CONFINEMENT_FAILED
    try:
        os.setsid()
        # When the container runs out of memory, the kernel ends a worker, not the grader.
        Path("/proc/self/oom_score_adj").write_text("1000")
        if request["namespaces"]:
            confinement.mount_private_proc()
            for blocked, paths in request["reveal"]:
                confinement.reveal(blocked, paths, request["stage"])
        _arrange_descriptors(*fds)
        os.chdir(request["cwd"])
        sys.argv = [str(Path(__file__).with_name("__main__.py")), request["config"]]
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None
        if request["user"]:
            confinement.drop_user(*request["user"])
        _size_thread_pools(request.get("threads"))
        from autograder.worker.runtime import main

        status = main([request["config"]])
    except BaseException:  # noqa: BLE001  (the grader reads it in the worker's output)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(status)


def spawn(request, fds, server):
    """Forks the worker of `request` through an intermediate process; returns its pid."""
    report_read, report_write = os.pipe()
    intermediate = os.fork()
    if intermediate == 0:
        try:
            server.close()
            os.close(report_read)
            if request["namespaces"]:
                confinement.enter_namespaces(user_namespace=request["namespaces"] == "user")
            worker = os.fork()
            if worker == 0:
                os.close(report_write)
                become_worker(request, fds)
            os.write(report_write, str(worker).encode())
            os._exit(0)
        except BaseException as error:  # noqa: BLE001
            os.write(report_write, f"error:{error}".encode())
            os._exit(1)
    os.close(report_write)
    os.waitpid(intermediate, 0)
    with os.fdopen(report_read, "rb") as report:
        text = report.read().decode()
    if not text.isdigit():
        raise OSError(text.removeprefix("error:") or "the worker could not be started")
    return int(text)


def serve(server):
    """Answers worker requests until the grader closes its end of the socket."""
    while True:
        message, fds, _, _ = socket.recv_fds(server, MAX_MESSAGE, 3)
        if not message:
            return
        try:
            request = json.loads(message)
            preload(request["probe_module"])
            reply = {"pid": spawn(request, fds, server)}
        except (OSError, ValueError, KeyError) as error:
            reply = {"error": str(error)}
        finally:
            for fd in fds:
                os.close(fd)
        server.send(json.dumps(reply).encode())


def main(argv):
    """Entry point: `python -m autograder.worker.zygote FD`."""
    server = socket.socket(fileno=int(argv[0]))
    from assignment.quiet import quiet_tensorflow

    quiet_tensorflow()
    import autograder.worker.runtime  # noqa: F401

    gc.freeze()
    server.send(json.dumps({"ready": True}).encode())
    serve(server)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
