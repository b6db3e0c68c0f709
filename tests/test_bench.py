"""The benchmark scripts: their arithmetic, their memory monitor, and a quick run of each."""

import subprocess
import sys
import time

import pytest

from assignment.implementation import REPO_ROOT
from bench import grading, time_to_quality


def curve(*points):
    return [{"epoch": epoch, "seconds": seconds, "neg_elbo": loss, "fd": fd}
            for epoch, (seconds, loss, fd) in enumerate(points, start=1)]


def test_time_to_quality_compares_times_to_the_examples_final_loss():
    example = curve((10, 280, 90), (20, 270, 80), (30, 265, 70))
    ours = curve((4, 275, 85), (8, 264, 60), (12, 262, 55))
    lines = time_to_quality.summarize(example, ours)
    assert lines[-1] == ("SUMMARY time-to-quality: ours 3.75x sooner (8 s vs 30 s to 265.00 nats; "
                         "bar 3x met); FD at equal time: example no epoch finished yet, ours 60.00")


def test_the_fd_at_equal_time_is_the_examples_last_epoch_by_then():
    example = curve((5, 280, 90), (10, 266, 80), (15, 265, 70))
    ours = curve((12, 264, 60))
    summary = time_to_quality.summarize(example, ours)[-1]
    assert "1.25x sooner" in summary and "NOT met" in summary
    assert "example 80.00 (epoch 2), ours 60.00" in summary


def test_a_model_that_never_reaches_the_target_is_reported_with_its_best():
    lines = time_to_quality.summarize(curve((10, 265, 70)), curve((5, 270, 80), (9, 268, 75)))
    assert "Ours never reaches it in 2 epochs (9 s); its best is 268.00 nats (epoch 2)." in lines
    assert lines[-1].endswith("bar 3x not met")


def test_the_part_breakdown_gives_each_part_its_time_and_workers():
    output = "\n".join([
        "  Check  Points  Time  Status  Feedback",
        "Part 1: transposed convolution (-q transposed_conv): 15 / 15 points in 0.3 s",
        "  Output length rule   4/4  0.1s  passed  Correct.",
        "  (12 probe(s) in 1 worker(s), peak memory 80 MB)",
        "Part 3: variational autoencoder (-q vae): 45 / 45 points in 31.0 s",
        "  (20 probe(s) in 2 worker(s), peak memory 800 MB)",
        "Part 5 (bonus): VQ-VAE (-q vqvae): 10 / 10 bonus points in 9.0 s",
        "  (3 probe(s) in 1 worker(s), peak memory 700 MB)",
    ])
    rows = grading.part_breakdown(output)
    assert rows == [
        ("transposed_conv", "Part 1: transposed convolution", 0.3, 1),
        ("vae", "Part 3: variational autoencoder", 31.0, 2),
        ("vqvae", "Part 5 (bonus): VQ-VAE", 9.0, 1),
    ]


def test_the_memory_bar_counts_the_lanes_the_grader_notes():
    from autograder.time_limits import TimeScale

    for lanes in (1, 2):
        note = TimeScale(factor=2.0, benchmark_seconds=0.6, lanes=lanes).describe()
        assert grading.lanes_of("Grading every check.\n" + note + "\n") == lanes


def test_the_monitor_sees_the_memory_of_a_child_process():
    code = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'import time; block = bytearray(200 * 2**20); time.sleep(1.5)'])")
    process = subprocess.Popen([sys.executable, "-c", code])
    monitor = grading.TreeMonitor(process.pid)
    while process.poll() is None:
        monitor.poll()
        time.sleep(0.02)
    children = [peak for pid, peak in monitor.peaks.items() if pid != process.pid]
    assert len(children) == 1
    assert children[0] >= 200
    assert monitor.tree_peak_mb >= 200
    assert monitor.tree_anonymous_peak_mb >= 200
    assert monitor.peaks[process.pid] < 200


def run_module(*argv):
    return subprocess.run([sys.executable, "-m", *argv], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("argv", [
    ("bench.throughput", "--sample", "--images", "512", "--rounds", "1"),
    ("bench.time_to_quality", "--sample", "--example-epochs", "1", "--epochs", "1"),
    ("bench.grading", "-q", "transposed_conv"),
])
def test_each_benchmark_runs_and_ends_with_its_summary(argv):
    result = run_module(*argv)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-1].startswith("SUMMARY ")
