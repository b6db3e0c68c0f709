"""The directories of one worker: the grader's requests, and the worker's own copy of the files.

    BASE/                 mode 0711, the grader's
      requests/           the grader writes, the worker reads: worker.json, request-I.*
      stage/              empty: where the worker's confinement mounts what it reveals
      work/               the worker's own (its user owns it when it runs as another user)
        submission/       a copy of the student's regular files
        tmp/              its TMPDIR
        result-I.*        what the worker writes, read without following links

Only the grader writes `requests/`, so a worker running as another user cannot
plant links where the grader writes.
"""

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

from autograder import protocol


def copy_regular_files(source, target, max_bytes):
    """Copies the regular files of `source` into `target`: no links, no folders, no devices.

    Files that would take the copy past `max_bytes` in all are left out.
    """
    total = 0
    for name in sorted(os.listdir(source)):
        try:
            fd = os.open(os.path.join(source, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or total + info.st_size > max_bytes:
            os.close(fd)
            continue
        total += info.st_size
        with os.fdopen(fd, "rb") as file:
            (target / name).write_bytes(file.read())


class Workspace:
    """A fresh set of worker directories under the temporary folder.

    Args:
        submission: directory of the student's files (copied, never modified).
        max_submission_bytes: total size of the files copied.

    Attributes:
        base, requests, stage, workdir, submission: the directories above.
    """

    def __init__(self, submission, max_submission_bytes):
        self.base = Path(tempfile.mkdtemp(prefix="autograder-"))
        self.requests = self.base / "requests"
        self.requests.mkdir(mode=0o755)
        self.stage = self.base / "stage"
        self.stage.mkdir(mode=0o700)
        self.workdir = self.base / "work"
        self.submission = self.workdir / "submission"
        self.submission.mkdir(parents=True)
        (self.workdir / "tmp").mkdir()
        copy_regular_files(submission, self.submission, max_submission_bytes)

    def missing(self, modules):
        """The files of `modules` that the copy lacks, e.g. `["vae.py"]`."""
        return [f"{name}.py" for name in modules if not (self.submission / f"{name}.py").is_file()]

    def write_config(self, config):
        """Writes `requests/worker.json`, readable by the worker; returns its path."""
        path = self.requests / "worker.json"
        path.write_text(json.dumps(config))
        os.chmod(self.requests, 0o755)
        os.chmod(path, 0o644)
        os.chmod(self.base, 0o711)
        return path

    def give_to(self, uid, gid):
        """Makes the worker's own directory and everything in it belong to `uid`:`gid`."""
        for root, folders, files in os.walk(self.workdir):
            for path in (root, *(os.path.join(root, name) for name in folders + files)):
                os.chown(path, uid, gid)

    def write_request(self, index, probe, seed):
        """Writes the request of probe `index`, readable by the worker."""
        for path in protocol.save_request(self.requests, index, probe, seed):
            os.chmod(path, 0o644)

    def remove(self):
        shutil.rmtree(self.base, ignore_errors=True)
