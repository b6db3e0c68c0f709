"""TensorFlow's start-up chatter stays off stderr; real warnings and errors do not.

The unit tests feed `drop_noise` lines copied from real runs, and import a fake
`tensorflow` package (made in a temporary folder) that writes noise and real
messages to file descriptor 2. One test runs a real command that imports
TensorFlow, in a subprocess, with `TF_CPP_MIN_LOG_LEVEL` unset and set to 3.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from assignment import quiet
from assignment.implementation import REPO_ROOT, SOLUTION_DIR

# Lines TensorFlow 2.21 printed on a CPU machine without GPU driver, and
# lines older versions and GPU machines print.
NOISE_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796159228.722701    4483 port.cc:153] oneDNN custom operations are on. "
    "You may see slightly different numerical results due to floating-point round-off errors "
    "from different computation orders. To turn them off, set the environment variable "
    "`TF_ENABLE_ONEDNN_OPTS=0`.",
    "I0000 00:00:1796159228.722933    4483 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "E0000 00:00:1796159297.276500    6457 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "I0000 00:00:1796159239.253463    4708 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
    "2024-03-01 10:00:00.123456: E external/local_xla/xla/stream_executor/cuda/cuda_dnn.cc:9261] "
    "Unable to register cuDNN factory: Attempting to register factory for plugin cuDNN when "
    "one has already been registered",
    "2024-03-01 10:00:00.123457: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:607] "
    "Unable to register cuFFT factory: Attempting to register factory for plugin cuFFT when "
    "one has already been registered",
    "2024-03-01 10:00:00.123458: I tensorflow/core/util/port.cc:113] oneDNN custom operations "
    "are on. You may see slightly different numerical results.",
    "2024-03-01 10:00:01.000000: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] "
    "TF-TRT Warning: Could not find TensorRT",
]
REAL_LINES = [
    "E0000 00:00:1796159297.276500    6457 op_kernel.cc:1830] OP_REQUIRES failed: "
    "out of memory",
    "/home/me/train.py:3: UserWarning: a real warning",
    "To enable the following instructions, read the manual.",
    "Traceback (most recent call last):",
]


def test_drop_noise_keeps_exactly_the_real_lines():
    mixed = [NOISE_LINES[0], REAL_LINES[0], *NOISE_LINES[1:], *REAL_LINES[1:]]
    text = "".join(line + "\n" for line in mixed).encode()
    assert quiet.drop_noise(text) == "".join(line + "\n" for line in REAL_LINES).encode()


def test_the_cpu_instructions_continuation_goes_only_after_its_first_line():
    continuation = NOISE_LINES[5] + "\n"
    assert quiet.drop_noise(continuation.encode()) == continuation.encode()
    assert quiet.drop_noise((NOISE_LINES[4] + "\n" + continuation).encode()) == b""


def fake_tensorflow(folder):
    """A `tensorflow` package whose import writes noise and real lines to file descriptor 2."""
    package = folder / "tensorflow"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(f"""\
        import os
        import warnings

        os.write(2, {(NOISE_LINES[0] + chr(10) + NOISE_LINES[2] + chr(10)).encode()!r})
        warnings.warn("a warning during the import")
        os.write(2, b"a C-level error during the import\\n" + {(NOISE_LINES[1] + chr(10)).encode()!r})


        class config:
            probed = []

            @staticmethod
            def list_physical_devices(kind):
                config.probed.append(kind)
                os.write(2, {(NOISE_LINES[3] + chr(10)).encode()!r})
                return []
        """))
    return folder


def run_python(arguments, folder, **env):
    """Runs Python with `arguments` in `folder`, first on the path; returns the finished process.

    `TF_CPP_MIN_LOG_LEVEL` is unset unless `env` sets it.
    """
    environment = {key: value for key, value in os.environ.items()
                   if key != quiet.LOG_LEVEL_VARIABLE}
    environment.update(env, PYTHONPATH=os.pathsep.join([str(folder), str(REPO_ROOT)]))
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True,
                          env=environment, timeout=120, cwd=folder)


IMPORT_AFTER_QUIET = textwrap.dedent("""\
    import os, sys
    from assignment.quiet import quiet_tensorflow
    quiet_tensorflow()
    import tensorflow
    print(os.environ["TF_CPP_MIN_LOG_LEVEL"], tensorflow.config.probed, type(tensorflow.__loader__).__name__)
    sys.stderr.write("after the import\\n")
    """)


def test_the_import_drops_the_noise_and_keeps_warnings_and_errors(tmp_path):
    result = run_python(["-c", IMPORT_AFTER_QUIET], fake_tensorflow(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].endswith("UserWarning: a warning during the import")
    assert lines[2:] == ["a C-level error during the import", "after the import"]
    # The log level defaults to 2; no CUDA driver, so the GPUs were probed inside the import;
    # the module keeps its own loader.
    assert result.stdout.split() == ["2", "['GPU']", "SourceFileLoader"]


@pytest.mark.parametrize("level, shown", [("3", False), ("0", True)])
def test_a_preset_log_level_is_kept_and_0_shows_everything(tmp_path, level, shown):
    result = run_python(["-c", IMPORT_AFTER_QUIET], fake_tensorflow(tmp_path),
                        TF_CPP_MIN_LOG_LEVEL=level)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == level
    assert ("oneDNN custom operations are on" in result.stderr) is shown
    assert "a C-level error during the import" in result.stderr


def test_filtered_stderr_restores_the_descriptor_and_replays_in_order(tmp_path):
    code = textwrap.dedent(f"""\
        import os
        from assignment.quiet import FilteredStderr
        with FilteredStderr() as stderr:
            os.write(2, b"first\\n" + {(NOISE_LINES[1] + chr(10)).encode()!r} + b"second\\n")
            assert stderr.captured().startswith(b"first")
            os.write(2, b"third\\n")
        os.write(2, b"fourth\\n")
        """)
    result = run_python(["-c", code], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "first\nsecond\nthird\nfourth\n"


@pytest.mark.parametrize("level", [None, "3"])
def test_a_command_that_imports_tensorflow_prints_no_noise(tmp_path, level):
    """`python -m assignment.figures` imports TensorFlow to load the implementation.

    The implementation is a copy of the solution that warns when it is imported,
    a real warning the filter must let through.
    """
    impl = tmp_path / "impl"
    impl.mkdir()
    for file in SOLUTION_DIR.glob("*.py"):
        (impl / file.name).write_text(file.read_text())
    vae = impl / "vae.py"
    vae.write_text(vae.read_text() + '\nimport warnings\nwarnings.warn("the student\'s warning")\n')
    env = {} if level is None else {quiet.LOG_LEVEL_VARIABLE: level}
    result = run_python(
        ["-m", "assignment.figures", "--impl", "impl", "--sample", "--only", "gaussians-kl",
         "--out", "out", "--format", "png", "--dpi", "30"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "gaussians-kl.png").is_file()
    assert "UserWarning: the student's warning" in result.stderr
    for fragment in ("absl::InitializeLog", "oneDNN", "cuda drivers", "cuInit", "cpu_feature_guard"):
        assert fragment not in result.stderr, result.stderr
