"""Data shipped with the assignment: the embedded sample and the script that builds it."""
