#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder zip is uploaded (in /autograder/source).
# It installs the requirements pinned by `python -m autograder package` in a virtual environment
# and checks that student code will run as an unprivileged user.
set -euxo pipefail
cd "$(dirname "$0")"

apt-get update
apt-get install -y --no-install-recommends python3 python3-venv
python3 -m venv /opt/autograder-venv
/opt/autograder-venv/bin/pip install --no-cache-dir -r requirements-pinned.txt

# Workers run as the user `nobody` (autograder/sandbox/isolation.py), who must read the code but not write it.
chmod -R u+rwX,go+rX-w /autograder/source
chmod go+x /autograder
/opt/autograder-venv/bin/python -m compileall -q autograder assignment
/opt/autograder-venv/bin/python -c '
import assignment, keras
from autograder.sandbox import choose_isolation
isolation = choose_isolation()
assert isolation.drops_privileges, isolation.note
print("Keras", keras.__version__, "- student code will run as", isolation.user)'
