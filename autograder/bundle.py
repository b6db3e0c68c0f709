"""The files of a bundle built from this repository, and the checks every bundle must pass.

Two commands build bundles: `package` (what a grading service needs, see
`autograder.services`) and `release` (the student bundle). A `Bundle` maps
paths inside the bundle to contents; it is written as a folder, or as a
reproducible zip or tar (sorted entries, fixed dates and owners, so the same
repository gives the same bytes).

Before writing, a bundle is checked:

- `solution_leaks`: nothing under an `assignment/solution/` folder (at any
  depth: a bundle may nest the grader in a folder), no Python file with a
  `# BEGIN SOLUTION` comment (the solution's marker; a string that only
  mentions it, as in the stencil generator, is not one), no file identical to a
  solution file;
- `missing_imports`: every `import` of the project's own packages inside the
  bundle names a module that the bundle holds, and every name taken with
  `from module import name` is defined there (so leaving files out, or
  stripping hidden checks, cannot break a command at run time).
"""

import ast
import dataclasses
import io
import re
import tarfile
import tokenize
import zipfile
from pathlib import Path

from assignment.implementation import REPO_ROOT, SOLUTION_DIR

PROJECT_PACKAGES = ("assignment", "autograder", "data")
SKIPPED_FOLDERS = ("__pycache__",)
_MARKER = re.compile(r"#\s*BEGIN\s+SOLUTION", re.IGNORECASE)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclasses.dataclass
class Bundle:
    """Paths inside the bundle (POSIX, relative) -> `(bytes, mode)`."""

    files: dict = dataclasses.field(default_factory=dict)

    def add(self, name, content, mode=0o644):
        """Adds `content` (bytes or str) as `name`."""
        self.files[name] = (content.encode() if isinstance(content, str) else content, mode)

    def copy(self, name, mode=None):
        """Adds the repository's file `name` under the same name (and mode unless given)."""
        source = REPO_ROOT / name
        self.add(name, source.read_bytes(), mode or (0o755 if source.stat().st_mode & 0o100
                                                     else 0o644))

    def copy_tree(self, folder, pattern="*.py", exclude=()):
        """Copies the repository's files matching `pattern` below `folder`, but not `exclude`.

        Args:
            folder: a folder of the repository, e.g. `"assignment"`.
            pattern: glob pattern of the file names.
            exclude: repository paths (files or folders) to leave out.
        """
        for path in sorted((REPO_ROOT / folder).rglob(pattern)):
            name = path.relative_to(REPO_ROOT).as_posix()
            parts = Path(name).parts
            if (path.is_file() and not any(part in SKIPPED_FOLDERS for part in parts)
                    and not any(name == item or name.startswith(f"{item}/") for item in exclude)):
                self.copy(name)

    def include(self, other, prefix=""):
        """Adds every file of the `Bundle` `other`, each name under `prefix` (e.g. `"grader/"`)."""
        for name, (content, mode) in other.files.items():
            self.files[prefix + name] = (content, mode)

    def text(self, name):
        return self.files[name][0].decode()

    def write_folder(self, folder):
        """Writes every file below `folder`, which is created."""
        folder = Path(folder)
        for name, (content, mode) in sorted(self.files.items()):
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            path.chmod(mode)

    def zip_bytes(self, prefix=""):
        """The bundle as a zip (bytes), each name under `prefix` (e.g. `"bundle/"`)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (content, mode) in sorted(self.files.items()):
                info = zipfile.ZipInfo(prefix + name, _ZIP_DATE)
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, content)
        return buffer.getvalue()

    def write_zip(self, path, prefix=""):
        """Writes the bundle as a zip at `path`, each name under `prefix` (e.g. `"bundle/"`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.zip_bytes(prefix))

    def tar_bytes(self, prefix=""):
        """The bundle as an uncompressed tar (bytes), each name under `prefix`."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for name, (content, mode) in sorted(self.files.items()):
                info = tarfile.TarInfo(prefix + name)
                info.size, info.mode, info.mtime = len(content), mode, 0
                archive.addfile(info, io.BytesIO(content))
        return buffer.getvalue()

    @property
    def size(self):
        return sum(len(content) for content, _ in self.files.values())


def solution_markers(source):
    """Line numbers of the `# BEGIN SOLUTION` comments of Python `source`."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [token.start[0] for token in tokens
            if token.type == tokenize.COMMENT and _MARKER.match(token.string)]


def solution_leaks(bundle, solution_dir=SOLUTION_DIR):
    """What in `bundle` is solution code: one line per problem (empty when none)."""
    solutions = {path.read_bytes(): path.name for path in Path(solution_dir).glob("*.py")}
    problems = []
    for name, (content, _) in sorted(bundle.files.items()):
        if "/assignment/solution/" in f"/{name}":
            problems.append(f"{name} is a solution file")
        elif content in solutions:
            problems.append(f"{name} is a copy of the solution's {solutions[content]}")
        elif name.endswith(".py"):
            lines = solution_markers(content.decode())
            if lines:
                problems.append(f"{name}:{lines[0]} holds a solution marker")
    return problems


def _module_path(bundle, module):
    """The bundle path of dotted `module` (`a/b.py` or `a/b/__init__.py`), or None."""
    base = module.replace(".", "/")
    for name in (f"{base}.py", f"{base}/__init__.py"):
        if name in bundle.files:
            return name
    return None


def _defined_names(statements):
    """The names that `statements` (a module's body) bind, also inside `if`, `try`, `with`."""
    names = set()
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {item.id for item in ast.walk(target) if isinstance(item, ast.Name)}
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            handlers = [handler.body for handler in getattr(node, "handlers", ())]
            for block in (node.body, getattr(node, "orelse", ()), getattr(node, "finalbody", ()),
                          *handlers):
                names |= _defined_names(block)
    return names


def _project_imports(source):
    """`(line, module, names)` of each absolute import of the project's packages in `source`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PROJECT_PACKAGES:
                    yield node.lineno, alias.name, ()
        elif (isinstance(node, ast.ImportFrom) and node.level == 0
              and node.module.split(".")[0] in PROJECT_PACKAGES):
            yield node.lineno, node.module, tuple(alias.name for alias in node.names)


def missing_imports(bundle, left_out=()):
    """The imports of the project's own modules that the bundle cannot satisfy, one line each.

    Args:
        bundle: a `Bundle`.
        left_out: repository paths the bundle leaves out on purpose (the code
            that imports them must then not run there); imports of modules
            below them are not reported.
    """
    absent = [path.removesuffix(".py").replace("/", ".") for path in left_out]
    below_absent = tuple(f"{module}." for module in absent)
    problems = []
    for name in sorted(bundle.files):
        if not name.endswith(".py"):
            continue
        for line, module, names in _project_imports(bundle.text(name)):
            if module in absent or module.startswith(below_absent):
                continue
            path = _module_path(bundle, module)
            if path is None:
                problems.append(f"{name}:{line} imports {module}, which the bundle lacks")
                continue
            defined = _defined_names(ast.parse(bundle.text(path)).body)
            for item in names:
                if item not in defined and not _module_path(bundle, f"{module}.{item}"):
                    problems.append(f"{name}:{line} imports {item} from {module}, "
                                    "which the bundle's copy does not define")
    return problems


def registered_ids(source):
    """The check ids of the `@register("<id>")` decorators in a module's source, in order."""
    return [decorator.args[0].value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ClassDef) for decorator in node.decorator_list
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "register"
            and decorator.args and isinstance(decorator.args[0], ast.Constant)
            and isinstance(decorator.args[0].value, str)]


def registered_checks(bundle):
    """The ids of the checks that the bundle's check modules register."""
    return {check_id for name in bundle.files
            if name.startswith("autograder/checks/") and name.endswith(".py")
            for check_id in registered_ids(bundle.text(name))}
