"""The sandboxed side of grading: the worker process and the probes it runs.

Everything in this package may run as an unprivileged user next to student
code, so it holds no expected values: `probes` measure, `runtime` runs them and
sends their results back to the grading process in `autograder.protocol`'s
plain data.
"""
