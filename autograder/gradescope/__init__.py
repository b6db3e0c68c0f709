"""Running the autograder on Gradescope.

`python -m autograder package` zips the autograder with the two scripts of this
folder at the zip's root:

- `setup.sh`: run once, as root, when the zip is uploaded; installs Python and
  the pinned requirements in a virtual environment and checks that student
  code will run as an unprivileged user;
- `run_autograder`: run for every submission; finds the student's modules in
  the upload (`submission`) and grades them with every check, writing
  `results/results.json`.
"""
