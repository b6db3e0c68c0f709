"""Runs a command inside a `ControlGroup` and measures it: time, CPU, memory, OOM kills."""

import dataclasses
import resource
import subprocess
import time

# Seconds between two readings of the group's memory.
SAMPLE_SECONDS = 0.1


@dataclasses.dataclass(frozen=True)
class Measurement:
    """What one run inside a control group cost.

    Attributes:
        exit_status: the command's exit status (negative: the signal that killed it).
        timed_out: whether it was still running at its time limit (it was then
            killed, with everything in the group).
        wall_seconds: from its start to its end, or to the kill.
        cpu_seconds: user plus system time of the command and of every
            descendant that was waited for.
        peak_memory: the most memory charged to the group, in bytes, page cache
            included: the kernel's record, or the largest sampled reading where
            the kernel keeps none (`peak_recorded` False).
        peak_recorded: whether `peak_memory` is the kernel's record.
        peak_anonymous: the largest sampled anonymous memory, in bytes.
        oom_kills: processes the kernel killed for the group's memory limit
            (None where the kernel does not count them).
    """

    exit_status: int
    timed_out: bool
    wall_seconds: float
    cpu_seconds: float
    peak_memory: int
    peak_recorded: bool
    peak_anonymous: int
    oom_kills: int | None


def _cpu_seconds(usage):
    return usage.ru_utime + usage.ru_stime


def run_in_group(argv, group, *, cwd, env, output, timeout):
    """Runs `argv` inside `group` and measures it.

    Args:
        argv: the command.
        group: a `cgroups.ControlGroup`; the command joins it before it starts.
        cwd, env: its working directory and environment.
        output: an open file that receives its standard output and error.
        timeout: seconds it may run; then it is killed, with everything in the group.

    Returns:
        A `Measurement`.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(group.command(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=output, stderr=subprocess.STDOUT)
    sampled_peak = sampled_anonymous = 0
    timed_out = False
    while True:
        try:
            process.wait(timeout=SAMPLE_SECONDS)
            break
        except subprocess.TimeoutExpired:
            pass
        sampled_peak = max(sampled_peak, group.memory_current())
        sampled_anonymous = max(sampled_anonymous, group.anonymous_memory())
        if time.monotonic() - started >= timeout:
            timed_out = True
            group.kill()
            process.wait()
            break
    wall = time.monotonic() - started
    cpu = _cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - _cpu_seconds(before)
    recorded = group.memory_peak()
    return Measurement(
        exit_status=process.returncode, timed_out=timed_out, wall_seconds=wall, cpu_seconds=cpu,
        peak_memory=recorded if recorded is not None else sampled_peak,
        peak_recorded=recorded is not None, peak_anonymous=sampled_anonymous,
        oom_kills=group.oom_kills())
