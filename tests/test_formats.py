"""Tests of the results each grading service reads, written from one `GradeReport`.

Every writer is checked against its service's contract
(`tests.fixtures.service_contracts`) on a report with every kind of check, on
one whose feedback is far larger than any service takes, and on a grader
failure; and for what it shows: Gradescope every check (it hides some
itself), the others only the checks shown at once.
"""

import base64
import json
import math
import os
import stat

import pytest

from autograder import runner
from autograder.formats import SERVICES, files, service
from autograder.formats.text import fit, shorten
from autograder.rubric import AFTER_DUE_DATE
from tests.fixtures import service_contracts as contracts
from tests.fixtures.fake_checks import item, part

PART = part("a", item("a.kl", 6, todos=("3.3",)), item("a.quality", 5, visibility=AFTER_DUE_DATE),
            item("a.broken", 2), item("a.next", 3, depends=("a.kl",)))
BONUS = part("z", item("z.codes", 4), bonus=True)
HUGE = "x" * 1_500_000 + "THE END"  # more than any service takes


def report(feedback="KL with log sigma instead of log sigma^2.", note="Student code runs as root."):
    checks = (
        runner.CheckReport(PART, PART.checks[0], runner.PARTIAL, 3.0, 1.25, expected="0.5",
                           got="0.25", feedback=feedback, diagnosis="vae_kl_log_sigma"),
        runner.CheckReport(PART, PART.checks[1], runner.PASSED, 5.0, 30.0, feedback="Correct.",
                           leaderboard={"FID": (12.5, "asc"), "accuracy": (math.nan, "desc")}),
        runner.CheckReport(PART, PART.checks[2], runner.ERROR, feedback="Autograder error: boom",
                           details="Traceback (most recent call last):\nKeyError: 'boom'"),
        runner.CheckReport(PART, PART.checks[3], runner.NOT_GRADED,
                           feedback='Not graded: needs "Check a.kl" to pass first.'),
        runner.CheckReport(BONUS, BONUS.checks[0], runner.PASSED, 4.0, 0.5, feedback="Correct."),
    )
    parts = (runner.PartReport(PART, 31.5, 3, 2, 640.0, ""),
             runner.PartReport(BONUS, 0.5, 1, 1, 80.0, ""))
    return runner.GradeReport("submission", 0, True, checks, parts, 32.0, (note,))


def parsed(name, data):
    """The result `data` of the service `name`, checked against its contract."""
    if name == "gradescope":
        return contracts.check_gradescope(data.decode())
    if name == "prairielearn":
        return contracts.check_prairielearn(data)
    if name == "github-classroom":
        return contracts.check_classroom(contracts.step_outputs(data.decode())["result"])
    if name == "autolab":
        return contracts.check_autolab(data)
    return contracts.check_codegrade(data)


def text_of(name, data):
    """What a person can read of the result `data` of the service `name`."""
    if name == "github-classroom":
        return base64.b64decode(contracts.step_outputs(data.decode())["result"]).decode()
    return data.decode()


def shown_check_ids(name, result):
    if name in ("gradescope", "github-classroom"):
        return [test["name"].split(":")[0] for test in result["tests"]]
    if name == "prairielearn":
        return [test["name"].split(":")[0] for test in result["tests"]]
    if name == "autolab":
        _, presentation = result
        return [check for stage in presentation["stages"] for check in presentation[stage]]
    return [case["description"].split(":")[0] for message in result[:-1]
            for suite in message["results"] for case in suite["testCases"]]


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_gets_valid_results_and_only_what_it_may_show(name):
    writer = service(name)
    result = parsed(name, writer.results(report()))
    shown = shown_check_ids(name, result)
    if name == "autolab":  # the presentation names checks by name
        shown = [check_id for check_id in ("a.kl", "a.quality", "a.broken", "a.next", "z.codes")
                 if f"Check {check_id}" in shown]
    expected = ["a.kl", "a.quality", "a.broken", "a.next", "z.codes"]
    assert shown == (expected if writer.HIDES_CHECKS else
                     [check_id for check_id in expected if check_id != "a.quality"])


def test_gradescope_results():
    results = parsed("gradescope", service("gradescope").results(report()))
    assert results["score"] == 12.0 and results["execution_time"] == 32.0
    assert results["stdout_visibility"] == "hidden" and "Note" not in results["output"]
    tests = results["tests"]
    assert [test["status"] for test in tests] == ["failed", "passed", "failed", "failed", "passed"]
    assert [test["visibility"] for test in tests] == [
        "visible", "after_due_date", "visible", "visible", "visible"]
    first = tests[0]
    assert first["name"] == "a.kl: Check a.kl" and first["number"] == "a.kl"
    assert (first["score"], first["max_score"], first["tags"]) == (3.0, 6, ["3.3"])
    assert first["output"].splitlines()[1:] == ["Expected: 0.5", "Got: 0.25"]
    assert first["extra_data"] == {"diagnosis": "vae_kl_log_sigma"}
    assert results["extra_data"] == {"notes": ["Student code runs as root."]}
    assert results["leaderboard"] == [{"name": "FID", "value": 12.5, "order": "asc"}]


def test_prairielearn_score_counts_the_bonus_up_to_one():
    results = parsed("prairielearn", service("prairielearn").results(report()))
    assert results["score"] == pytest.approx((3 + 4) / 11)  # a.quality left out: 11 points
    assert results["message"] == "Total: 3 / 11 points + bonus 4 / 4"
    assert [test["points"] for test in results["tests"]] == [3.0, 0.0, 0.0, 4.0]


def test_github_classroom_result_and_its_notice():
    line = service("github-classroom").results(report())
    assert line.startswith(b"result=") and line.endswith(b"\n") and line.count(b"\n") == 1
    encoded = contracts.step_outputs(line.decode())["result"]
    result = contracts.check_classroom(encoded)
    assert (result["status"], result["max_score"]) == ("error", 11)
    assert [test["status"] for test in result["tests"]] == ["fail", "error", "fail", "pass"]
    assert contracts.classroom_reporter("autograder", {"AUTOGRADER_RESULTS": encoded}) == \
        "Points 7/11"


def test_autolab_autoresult_is_the_last_line_and_survives_autolabs_parsing():
    data = service("autolab").results(report())
    autoresult, presentation = contracts.check_autolab(data)
    assert autoresult == {"scores": {"a": 3.0, "z": 4.0}, "scoreboard": [7.0]}
    assert presentation["Part a"]["Check a.kl"] == {
        "passed": False, "hint": "KL with log sigma instead of log sigma^2."}
    assert "Check a.kl" in data.decode().split("\n{")[0]  # the table comes first


def test_codegrade_points_are_a_fraction_of_whole_numbers():
    messages = contracts.check_codegrade(service("codegrade").results(report()))
    assert messages[-1] == {"tag": "points", "points": "7/11"}
    statuses = [case["status"] for message in messages[:-1] for suite in message["results"]
                for case in suite["testCases"]]
    assert statuses == ["failure", "failure", "skipped", "success"]
    codegrade = service("codegrade")
    assert codegrade.points(12.5, 11) == "1/1" and codegrade.points(3.333, 9) == "37/100"


@pytest.mark.parametrize("name", SERVICES)
def test_huge_feedback_is_shortened_to_the_services_limit_the_same_way_twice(name):
    writer = service(name)
    data = writer.results(report(feedback=HUGE))
    assert data == writer.results(report(feedback=HUGE))
    parsed(name, data)
    text = text_of(name, data)
    if name != "gradescope":  # Gradescope states no limit: it gets all of it
        assert HUGE not in text and "characters left out" in text and "THE END" in text


@pytest.mark.parametrize("name", SERVICES)
def test_a_failed_grader_gets_valid_results(name):
    writer = service(name)
    data = writer.error("Traceback (most recent call last):\nRuntimeError: it broke\n" + HUGE,
                        2.5, (PART, BONUS))
    result = parsed(name, data)
    assert "RuntimeError: it broke" in text_of(name, data)
    if name == "prairielearn":
        assert result["gradable"] is False
    if name == "autolab":
        assert result[0]["scores"] == {"a": 0.0, "z": 0.0}


def test_shorten_keeps_both_ends_and_fit_finds_the_longest_that_fits():
    text = "".join(chr(ord("a") + index % 26) for index in range(1000))
    short = shorten(text, 200)
    assert len(short) <= 200 and short.startswith(text[:50]) and short.endswith(text[-30:])
    assert "[... " in short and shorten(text, 1000) == text

    def build(texts):
        return json.dumps(texts).encode()

    fitted = fit(build, [text, "tiny", text * 3], 1500)
    assert len(fitted) <= 1500 and len(fit(build, [text, "tiny", text * 3], 1600)) > len(fitted)
    assert json.loads(fitted)[1] == "tiny"
    with pytest.raises(ValueError, match="without any text"):
        fit(build, [text], 3)


def test_write_file_is_atomic(tmp_path):
    path = tmp_path / "out" / "results.json"
    files.write_file(path, b'{"score": 1.0}')
    assert json.loads(path.read_text()) == {"score": 1.0}
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


def test_append_line_and_streams(tmp_path):
    path = tmp_path / "output"
    path.write_text("other=1\n")
    files.append_line(path, b"result=abc\n")
    assert path.read_text() == "other=1\nresult=abc\n"
    read, write = os.pipe()
    files.write(f"/dev/fd/{write}", b"x" * 10_000)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        assert pipe.read() == b"x" * 10_000
