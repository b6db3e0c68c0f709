"""Keeps TensorFlow's start-up chatter off the terminal, and nothing else.

Importing TensorFlow prints lines such as

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1712345678.123456   4483 port.cc:153] oneDNN custom operations are on. ...
    I0000 00:00:1712345678.123789   4483 cudart_stub.cc:31] Could not find cuda drivers ...

from C++, before its logging is set up, so `TF_CPP_MIN_LOG_LEVEL` does not hide
them, not even at 3; on a machine without a GPU driver the first operation
then logs `failed call to cuInit` as an error. Each command's entry point calls
`quiet_tensorflow()` before anything imports TensorFlow:

- `TF_CPP_MIN_LOG_LEVEL` defaults to 2, which hides TensorFlow's INFO and
  WARNING lines once its logging is set up (a value already set is kept);
- the first `import tensorflow` (also through `import keras`) runs with the
  process's C-level stderr, file descriptor 2, sent to a temporary file; when
  the import ends, every line of it that is not a known start-up message
  (`NOISE`) is written to stderr, so Python warnings, errors and unknown
  messages still show;
- when the import said that no CUDA driver is installed, the GPUs are listed
  inside the same window, which moves the certain `failed call to cuInit`
  error there (listing devices starts no thread pool and creates no device).

`TF_CPP_MIN_LOG_LEVEL=0` in the environment turns all of this off, to see
every line. This module imports neither NumPy nor TensorFlow.
"""

import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
DEFAULT_LOG_LEVEL = "2"
# The prefix of a C++ log line: absl's `I0000 00:00:1712345678.123456   4483 port.cc:153] `
# (before absl is set up, its seconds field holds the Unix time)
# or TensorFlow's older `2024-01-31 12:00:00.123456: I tensorflow/core/util/port.cc:113] `.
_LOG_PREFIX = (r"(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
               r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] \S+:\d+\] )")
# TensorFlow's start-up messages that say nothing about the user's program.
NOISE = tuple(re.compile(pattern) for pattern in (
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
    _LOG_PREFIX + r"oneDNN custom operations are on\.",
    _LOG_PREFIX + r"Could not find cuda drivers on your machine, GPU will not be used\.",
    _LOG_PREFIX + r"Unable to register cu(?:DNN|FFT|BLAS) factory: ",
    _LOG_PREFIX + r"computation placer already registered\.",
    _LOG_PREFIX + r"failed call to cuInit: ",
    _LOG_PREFIX + r"TF-TRT Warning: Could not find TensorRT",
    _LOG_PREFIX + r"This TensorFlow binary is optimized to use available CPU instructions",
))
# The second line of the CPU-instructions message, dropped only right after its first.
_CPU_INSTRUCTIONS_CONTINUATION = re.compile(
    r"To enable the following instructions: .*rebuild TensorFlow with the appropriate "
    r"compiler flags\.$")
_NO_CUDA_DRIVER = b"Could not find cuda drivers on your machine"


def quiet_tensorflow():
    """Quiets TensorFlow's start-up; call it before anything imports TensorFlow.

    Sets `TF_CPP_MIN_LOG_LEVEL` to 2 unless it is set, and makes the first
    `import tensorflow` drop the lines of `NOISE` from the C-level stderr (see
    the module's docstring). Calling it again, or after TensorFlow was
    imported, changes nothing; with `TF_CPP_MIN_LOG_LEVEL=0` it does nothing.
    """
    os.environ.setdefault(LOG_LEVEL_VARIABLE, DEFAULT_LOG_LEVEL)
    if os.environ[LOG_LEVEL_VARIABLE].strip() == "0" or "tensorflow" in sys.modules:
        return
    if not any(isinstance(finder, _QuietImportFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietImportFinder())


def drop_noise(text):
    """Removes TensorFlow's start-up messages from captured stderr output.

    Args:
        text: bytes, lines separated by `\\n`.

    Returns:
        The bytes of the lines that are not in `NOISE` (nor the second line of
        the CPU-instructions message), unchanged and in order.
    """
    kept, previous_dropped = [], False
    for line in text.splitlines(keepends=True):
        decoded = line.decode("utf-8", "replace").rstrip("\r\n")
        if any(pattern.match(decoded) for pattern in NOISE):
            previous_dropped = True
            continue
        if previous_dropped and _CPU_INSTRUCTIONS_CONTINUATION.match(decoded):
            continue
        previous_dropped = False
        kept.append(line)
    return b"".join(kept)


class FilteredStderr:
    """A `with` block whose C-level stderr output is kept back, then written without noise.

    File descriptor 2 points to a temporary file inside the block; leaving it
    restores the descriptor and writes what was captured, less `drop_noise`'s
    lines, to it. Where the temporary file cannot be made, the block runs
    unfiltered.
    """

    def __init__(self):
        self._saved = self._capture = None

    def __enter__(self):
        sys.stderr.flush()
        try:
            capture = tempfile.TemporaryFile()
        except OSError:
            return self
        try:
            self._saved = os.dup(2)
        except OSError:
            capture.close()
            return self
        self._capture = capture
        os.dup2(capture.fileno(), 2)
        return self

    def captured(self):
        """The bytes written to stderr inside the block so far."""
        if self._capture is None:
            return b""
        descriptor = self._capture.fileno()
        os.lseek(descriptor, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(descriptor, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)  # Reading to the end leaves the offset there, for later writes.

    def __exit__(self, *exc_info):
        if self._capture is None:
            return
        sys.stderr.flush()
        text = self.captured()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._capture.close()
        self._saved = self._capture = None
        kept = drop_noise(text)
        while kept:
            kept = kept[os.write(2, kept):]


class _QuietImportFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow` as usual, but gives it a loader that runs it in a `FilteredStderr`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)  # Once: the other finders do the finding.
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _FilteredLoader(spec.loader)
        return spec


class _FilteredLoader(importlib.abc.Loader):
    """Runs the wrapped loader's `exec_module` in a `FilteredStderr`, then steps aside."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        with FilteredStderr() as stderr:
            try:
                self._loader.exec_module(module)
            finally:
                module.__loader__ = module.__spec__.loader = self._loader
            if _NO_CUDA_DRIVER in stderr.captured():
                try:
                    module.config.list_physical_devices("GPU")
                except Exception:  # noqa: BLE001  (only moves a message; a real failure shows at the first operation)
                    pass
