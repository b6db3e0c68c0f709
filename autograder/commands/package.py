"""Build what a grading service needs to grade the assignment: the grader, its scripts, no solution.

`--platform` chooses the service (`autograder.services`; default gradescope,
the autograder zip):

- gradescope: the zip to upload, with `setup.sh` and `run_autograder`;
- prairielearn: a grading image to build (Dockerfile, grader, entry script)
  and a question whose `info.json` names it;
- github-classroom: the template repository: the student bundle with its
  autograding workflow;
- autolab: `autograde-Makefile` and `autograde.tar`, and an image to build;
- codegrade: `grader.zip` and `setup.sh` for the setup stage, and the test
  command.

Every package holds the course file it was built with (`--course FILE`, see
`autograder.course`) as `course.toml`, which its grader follows, and the
course's secret, which seeds the graded probes so
that they are not the ones students run locally (drawn the first time into
`autograder/course_secret.txt`; on GitHub Classroom, which grades in the
student's repository, there is none). Every package pins the requirements to
the versions installed here, the environment in which `selftest` passed, and
is checked before it is written:
no solution code (`autograder.bundle.solution_leaks`), every import
satisfied, every check it must grade registered.
"""

import sys
from pathlib import Path

from autograder.commands import add_course_argument, course_of, outside_course_repository
from autograder.services import PLATFORMS

DEFAULT_IMAGE = "autoencoder-grader"


def add_arguments(parser):
    """Declare the options of ``package``."""
    parser.add_argument("--platform", choices=PLATFORMS, default="gradescope",
                        help="the grading service (default: gradescope)")
    parser.add_argument("--out", type=Path,
                        help="where to write the package (default: build/ and the platform's "
                             "name; a folder for every platform but gradescope, which must not "
                             "exist yet or be empty)")
    parser.add_argument("--secret", metavar="TEXT",
                        help="the course's secret, which seeds the graded probes (default: the "
                             "one in autograder/course_secret.txt, drawn there the first time)")
    parser.add_argument("--image", default=DEFAULT_IMAGE,
                        help="prairielearn, autolab: the name of the grading image to build "
                             "(PrairieLearn pulls it from Docker Hub: give it your account's "
                             f"name) (default: {DEFAULT_IMAGE})")
    add_course_argument(parser)


def run(args):
    """Build and check the package; return 0 when written, 1 when it would be wrong."""
    from importlib.metadata import PackageNotFoundError

    from autograder.formats.terminal import wrapped
    from autograder.services import platform
    from autograder.services.grader import course_secret
    from autograder.services.requirements import pinned_requirements, pins

    service = platform(args.platform)
    out = args.out or service.DEFAULT_OUT
    if service.FOLDER and out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"package: {out} exists and is not an empty folder.", file=sys.stderr)
        return 2
    if outside_course_repository("package"):
        return 1
    args.course = course_of(args, "package")
    if args.course is None:
        return 2
    try:
        requirements = pinned_requirements()
    except PackageNotFoundError as error:
        print(f"package: {error} is not installed here; install requirements.txt first.",
              file=sys.stderr)
        return 1
    args.secret, secret_note = course_secret(args.secret)
    bundle, problems = service.build(requirements, args)
    if problems:
        print(f"package: not written, the {args.platform} package would be wrong:", *problems,
              sep="\n  ", file=sys.stderr)
        return 1
    service.write(bundle, out)
    messages = (f"Wrote {out}: {len(bundle.files)} files, {bundle.size / 2**20:.1f} MB "
                f"uncompressed; pinned {', '.join(pins(requirements))}.",
                secret_note, *service.next_steps(out, args))
    print(*map(wrapped, filter(None, messages)), sep="\n")
    return 0
