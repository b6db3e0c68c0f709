"""Finds a student's module files in an upload: a folder or a zip, flat or nested.

Students are asked to upload the five files of `stencil/`, flat. Some upload a
folder holding them, a zip, old copies or extra files instead. `collect`
copies, for each module, the shallowest `<module>.py` of the upload into a flat
folder, which is what the grader reads; everything else is left out, and the
notes say what was chosen, what was left out and what is missing.

`python -m autograder grade UPLOAD --collect` grades an upload this way: it
is what every grading service's entry script runs.
"""

import dataclasses
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from assignment.implementation import MODULE_NAMES

# A module file larger than this is not an answer to the assignment.
MAX_MODULE_BYTES = 1 << 20
# Folders that archivers and editors add, never the student's.
IGNORED_FOLDERS = ("__MACOSX", "__pycache__")


class SubmissionError(ValueError):
    """An upload that cannot be read at all (e.g. a corrupt zip)."""


@dataclasses.dataclass(frozen=True)
class Collected:
    """What `collect` found.

    Attributes:
        modules: module name -> path of the graded file inside the upload.
        notes: one line per choice or problem, for the student and the staff.
        missing: the names of the modules not found.
    """

    modules: dict
    notes: tuple
    missing: tuple


@dataclasses.dataclass(frozen=True)
class _File:
    path: PurePosixPath
    size: int
    read: object


def _ignored(path):
    return any(part.startswith(".") or part in IGNORED_FOLDERS for part in path.parts[:-1])


def _folder_files(folder):
    """The regular files below `folder` (links are not followed)."""
    for root, folders, names in os.walk(folder):
        folders.sort()
        for name in sorted(names):
            path = Path(root, name)
            info = path.lstat()
            if stat.S_ISREG(info.st_mode):
                yield _File(PurePosixPath(path.relative_to(folder).as_posix()), info.st_size,
                            path.read_bytes)


def _zip_files(archive):
    """The regular files of an open `zipfile.ZipFile` (links are skipped)."""
    for info in archive.infolist():
        kind = stat.S_IFMT(info.external_attr >> 16)
        if info.is_dir() or kind not in (0, stat.S_IFREG):
            continue
        yield _File(PurePosixPath(info.filename), info.file_size,
                    lambda info=info: archive.read(info))


def _choose(name, candidates, notes):
    """The candidate to grade for module `name`: the shallowest, then the first by path."""
    candidates = sorted(candidates, key=lambda file: (len(file.path.parts), str(file.path)))
    chosen = candidates[0]
    others = ", ".join(str(file.path) for file in candidates[1:])
    if others:
        notes.append(f"Graded {chosen.path}; also found {others} (not graded).")
    elif len(chosen.path.parts) > 1:
        notes.append(f"Graded {chosen.path} (found in a folder).")
    return chosen


def _collect_files(files, target, wanted):
    by_name = {}
    for file in files:
        if file.path.suffix == ".py" and file.path.stem in wanted and not _ignored(file.path):
            by_name.setdefault(file.path.stem, []).append(file)
    notes, modules = [], {}
    for name in wanted:
        if name not in by_name:
            continue
        chosen = _choose(name, by_name[name], notes)
        if chosen.size > MAX_MODULE_BYTES:
            notes.append(f"{chosen.path} is larger than {MAX_MODULE_BYTES >> 20} MB: not graded.")
            continue
        (target / f"{name}.py").write_bytes(chosen.read())
        modules[name] = str(chosen.path)
    missing = tuple(name for name in wanted if name not in modules)
    if missing:
        notes.append(f"Missing: {', '.join(f'{name}.py' for name in missing)}.")
    return Collected(modules, tuple(notes), missing)


def collect(upload, target, modules=MODULE_NAMES):
    """Copies the student's module files of `upload` into the folder `target`, flat.

    Args:
        upload: a folder or a `.zip` file, as the student uploaded it.
        target: an existing folder; receives `<module>.py` for each module found.
        modules: the names of the modules to look for.

    Returns:
        A `Collected`.

    Raises:
        FileNotFoundError: if `upload` does not exist.
        SubmissionError: if `upload` is a file that is not a readable zip.
    """
    upload, target = Path(upload), Path(target)
    if upload.is_dir():
        return _collect_files(_folder_files(upload), target, modules)
    if not upload.exists():
        raise FileNotFoundError(f"No submission {upload}.")
    try:
        with zipfile.ZipFile(upload) as archive:
            return _collect_files(_zip_files(archive), target, modules)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise SubmissionError(f"{upload.name} is not a readable zip file ({error}).") from None
