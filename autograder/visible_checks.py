"""Strips the hidden checks out of the check modules shipped to students.

`python -m autograder release` ships the visible checks, so that students can
run them at home, but not the checks graded after the due date: their expected
values and thresholds stay with the course staff. The visible and the hidden
checks of a part share a module (`autograder/checks/<part>.py`), so the release
rewrites each module:

1. every class registered with `@register("<id>")` whose check is not visible
   is removed;
2. then every module-level function, class, constant and imported name that
   nothing kept uses any more is removed too (a mark-and-sweep over names),
   across modules: a helper of `vae.py` imported by `cvae.py` stays only if a
   kept check of `cvae.py` uses it;
3. a comment that headed only removed code goes with it.

What is kept is copied verbatim, comments included. A visible check that uses
the class of a hidden one, or a module imported whole by another check module
(whose uses cannot be traced by name), stops the release with an error rather
than shipping too much or too little.
"""

import ast
import dataclasses
import re

_BLANK_RUNS = re.compile(r"\n{4,}")


class StripError(ValueError):
    """The check modules cannot be stripped safely."""


@dataclasses.dataclass
class _Statement:
    """A top-level statement: what it binds, what it uses, which check it registers."""

    node: ast.stmt
    binds: tuple
    uses: set
    check_id: str | None = None

    @property
    def is_import(self):
        return isinstance(self.node, (ast.Import, ast.ImportFrom))

    @property
    def prunable(self):
        return bool(self.binds)


def _decorator_name(node):
    function = node.func if isinstance(node, ast.Call) else node
    if isinstance(function, ast.Name):
        return function.id
    return function.attr if isinstance(function, ast.Attribute) else None


def _registered_id(node):
    """The id in `@register("<id>")` above a class, or None."""
    for decorator in getattr(node, "decorator_list", ()):
        if (_decorator_name(decorator) == "register" and isinstance(decorator, ast.Call)
                and decorator.args and isinstance(decorator.args[0], ast.Constant)
                and isinstance(decorator.args[0].value, str)):
            return decorator.args[0].value
    return None


def _bound_name(alias):
    return alias.asname or alias.name.split(".")[0]


def _binds(node):
    """The module-level names a statement may be pruned with (empty: always kept)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,)
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return tuple(_bound_name(alias) for alias in node.names if alias.name != "*")
    targets = node.targets if isinstance(node, ast.Assign) else (
        [node.target] if isinstance(node, ast.AnnAssign) else [])
    names = []
    for target in targets:
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        if not all(isinstance(element, ast.Name) for element in elements):
            return ()
        names += [element.id for element in elements]
    return tuple(names)


def _statements(source):
    return [_Statement(node, _binds(node),
                       {item.id for item in ast.walk(node) if isinstance(item, ast.Name)}
                       if not isinstance(node, (ast.Import, ast.ImportFrom)) else set(),
                       _registered_id(node))
            for node in ast.parse(source).body]


@dataclasses.dataclass
class _Sweep:
    """The statements of one module, the names that survive, the ids of the checks kept."""

    statements: list
    marked: set
    visible: frozenset

    def keeps(self, statement):
        if statement.check_id is not None:
            return statement.check_id in self.visible
        return not statement.prunable or any(name in self.marked for name in statement.binds)


def _sweep(module, statements, visible, exported):
    """Marks the names that the kept checks, the unprunable code and `exported` need."""
    definitions = {}
    for statement in statements:
        if statement.check_id is None and statement.prunable and not statement.is_import:
            for name in statement.binds:
                definitions[name] = statement
    hidden = {statement.node.name: statement.check_id for statement in statements
              if statement.check_id is not None and statement.check_id not in visible}
    pending = set(exported)
    for statement in statements:
        if statement.check_id in visible or (statement.check_id is None
                                             and not statement.prunable):
            pending |= statement.uses
    marked = set()
    while pending:
        name = pending.pop()
        if name in marked:
            continue
        if name in hidden:
            raise StripError(f"{module}: a visible check uses {name}, the class of the hidden "
                             f"check {hidden[name]}.")
        marked.add(name)
        if name in definitions:
            pending |= definitions[name].uses
    return _Sweep(statements, marked, frozenset(visible))


def _imports_from(module, sweep, modules):
    """`{other module: names}` that the kept imports of `module` take from stripped modules."""
    needed = {}
    for statement in sweep.statements:
        node = statement.node
        if isinstance(node, ast.Import):
            whole = [alias.name for alias in node.names if alias.name in modules]
            if whole and sweep.keeps(statement):
                raise StripError(f"{module} imports {whole[0]} whole; import names from it.")
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules and _bound_name(alias) in sweep.marked:
                    raise StripError(f"{module} imports {node.module}.{alias.name} whole; "
                                     "import names from it.")
                if node.module in modules and _bound_name(alias) in sweep.marked:
                    needed.setdefault(node.module, set()).add(alias.name)
    return needed


def _first_line(node):
    return min([node.lineno, *(item.lineno for item in getattr(node, "decorator_list", ()))])


def _import_text(node, names):
    """The `from ... import ...` statement `node` with only the aliases that bind `names`."""
    items = [f"{alias.name} as {alias.asname}" if alias.asname else alias.name
             for alias in node.names if _bound_name(alias) in names]
    head = f"from {'.' * node.level}{node.module or ''} import "
    if node.lineno == node.end_lineno:
        return [head + ", ".join(items)]
    return [head + "("] + [f"    {item}," for item in items] + [")"]


def _is_comment(line):
    return line.startswith("#")


def _rewrite(source, sweep):
    """The module's source with the unmarked statements removed; the rest verbatim."""
    lines = source.splitlines()
    output = list(lines)  # None: removed line
    removed = [False] * len(lines)
    for statement in sweep.statements:
        node = statement.node
        start, end = _first_line(node) - 1, node.end_lineno
        if not sweep.keeps(statement):
            while start > 0 and _is_comment(lines[start - 1]):
                start -= 1
            if start == 0 or not lines[start - 1].strip():
                while end < len(lines) and not lines[end].strip():
                    end += 1
            for index in range(start, end):
                output[index], removed[index] = None, True
        elif isinstance(node, ast.ImportFrom) and statement.prunable:
            kept = {name for name in statement.binds if name in sweep.marked}
            if kept != set(statement.binds):
                output[start:end] = [None] * (end - start)
                output[start] = "\n".join(_import_text(node, kept))
    _drop_orphan_comments(output, removed)
    text = "\n".join(line for line in output if line is not None)
    return _BLANK_RUNS.sub("\n\n\n", text).rstrip("\n") + "\n"


def _drop_orphan_comments(output, removed):
    """Removes the top-level comment paragraphs that headed only removed code."""
    index = 0
    while index < len(output):
        if output[index] is None or not _is_comment(output[index]):
            index += 1
            continue
        start = index
        while index < len(output) and output[index] is not None and _is_comment(output[index]):
            index += 1
        following = index
        headed_removed = False
        while following < len(output) and (output[following] is None
                                           or not output[following].strip()):
            headed_removed |= removed[following]
            following += 1
        if headed_removed and (following == len(output) or _is_comment(output[following])):
            output[start:index] = [None] * (index - start)


def strip_hidden_checks(sources, visible):
    """Removes the checks that are not in `visible`, and what only they used.

    Args:
        sources: dotted module name (e.g. `"autograder.checks.vae"`) -> source
            text, for every check module that registers checks.
        visible: ids of the checks to keep.

    Returns:
        A dict module name -> stripped source text.

    Raises:
        StripError: when a kept check uses a removed one's class, or a check
            module is imported whole by another one.
        SyntaxError: for a module that is not valid Python.
    """
    parsed = {module: _statements(source) for module, source in sources.items()}
    exported = {module: set() for module in sources}
    while True:
        sweeps = {module: _sweep(module, parsed[module], visible, exported[module])
                  for module in sources}
        needed = {module: set() for module in sources}
        for module, sweep in sweeps.items():
            for other, names in _imports_from(module, sweep, sources).items():
                needed[other] |= names
        if needed == exported:
            break
        exported = needed
    return {module: _rewrite(sources[module], sweeps[module]) for module in sources}


def registered_ids(source):
    """The check ids registered by the classes of a module's source."""
    return [statement.check_id for statement in _statements(source)
            if statement.check_id is not None]
