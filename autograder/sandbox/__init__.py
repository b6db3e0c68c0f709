"""Runs student code in watched worker processes that cannot touch the grader.

The security-critical part of the autograder, one concept per file:

- `isolation`: who the workers run as (an unprivileged user when the grader is
  root) and which of the grader's files they must not read;
- `workspace`: each worker's directories and its private copy of the
  submission;
- `processes`: a worker's process tree, read from `/proc`: its members, its
  memory, its end;
- `output`: what a worker prints, kept in bounded memory;
- `machine`: the CPUs and memory the grading machine's control group grants;
- `launcher`: the zygote that imported TensorFlow once, and the workers
  forked from it;
- `worker_process`: the `Sandbox`, the life cycle of a worker: start, one
  probe at a time under time and memory limits, stop.

The messages exchanged with the worker are `autograder.protocol`'s.
"""

from autograder.sandbox.isolation import (  # noqa: F401
    Isolation,
    SandboxError,
    available_namespaces,
    can_read,
    choose_isolation,
    needed_paths,
    protect,
    reveal_plan,
)
from autograder.sandbox.worker_process import Sandbox  # noqa: F401
