#!/usr/bin/env bash
# CodeGrade runs this in the AutoTest setup stage, from the folder of the uploaded files: it unpacks
# grader.zip into /opt/autograder and installs the pinned requirements in a virtual environment
# (skipped when AUTOGRADER_PYTHON names an interpreter that already has them).
set -euxo pipefail
here=$(cd "$(dirname "$0")" && pwd)
home=${AUTOGRADER_HOME:-/opt/autograder}
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

$sudo mkdir -p "$home"
$sudo python3 -m zipfile -e "$here/grader.zip" "$home"
if [ -z "${AUTOGRADER_PYTHON:-}" ]; then
    $sudo python3 -m venv /opt/autograder-venv
    $sudo /opt/autograder-venv/bin/pip install --no-cache-dir -r "$home/requirements-pinned.txt"
    $sudo chmod -R go+rX-w /opt/autograder-venv
fi
# Tests run as another user, who must read the grader but not write it.
$sudo chmod -R u+rwX,go+rX-w "$home"
$sudo chmod 755 "$home/grade"
