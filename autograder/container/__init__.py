"""An emulated grading-service container: the answer to "will the autograder fit?".

`python -m autograder container` (see `autograder.commands.container`) builds
the Gradescope zip, installs it the way its `setup.sh` would into a scratch
root (`install`), runs its `run_autograder` on submissions inside a fresh
control group with the service's memory and CPU limits (`cgroups`, `measure`)
and compares what it measured with those limits (`report`).
"""
