"""The generated stencil is a working teaching artifact, and the handout describes it.

`tests/test_stencil_builder.py` checks the generator and that `stencil/` is in
sync with the solution. Here: the TODO ids are numbered by part, editing one
real solution block changes exactly that block of the stencil, the stencil
keeps the solution's API and docstrings, every TODO raises a
`NotImplementedError` that names it, the models stop at a TODO and not at
some other error, and `assignment/HANDOUT.md` covers exactly the stencil's TODOs
and the autograder's parts.
"""

import difflib
import inspect
import json
import re
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from assignment import training
from assignment.implementation import (
    ALL_MODULE_NAMES,
    MODULE_NAMES,
    REPO_ROOT,
    SOLUTION_DIR,
    load_implementation,
)
from autograder.course import load_course
from autograder.stencil import build_stencil, parse_blocks

HANDOUT = REPO_ROOT / "assignment" / "HANDOUT.md"
TODO_LINE = re.compile(r"^[ \t]*# TODO (\d+\.\d+): (.+)$", re.MULTILINE)
TODO_ID = re.compile(r"\bTODO (\d+\.\d+)\b")
RUBRIC_BEGIN = "<!-- BEGIN RUBRIC TABLE -->"
RUBRIC_END = "<!-- END RUBRIC TABLE -->"
# The stencil of a course that assigns every part (the repository's stencil/ holds the default
# course's modules only), with every module of the solution and its part's number.
EVERY_PART = REPO_ROOT / "docs" / "courses" / "everything.toml"
EVERY_PART_STENCIL = Path(tempfile.mkdtemp(prefix="stencil-every-part-"))
build_stencil(SOLUTION_DIR, EVERY_PART_STENCIL, course=load_course(EVERY_PART))
NUMBERED_MODULES = [(part, name) for part, name in enumerate(ALL_MODULE_NAMES, start=1)
                    if (SOLUTION_DIR / f"{name}.py").is_file()]
SOLUTION_MODULES = [name for _, name in NUMBERED_MODULES]


def stencil_todos():
    """`{todo_id: task}` of every `# TODO x.y: task` comment of the every-part stencil."""
    todos = {}
    for name in SOLUTION_MODULES:
        for todo_id, task in TODO_LINE.findall((EVERY_PART_STENCIL / f"{name}.py").read_text()):
            assert todo_id not in todos, f"TODO {todo_id} appears twice in the stencil"
            todos[todo_id] = task
    return todos


def solution_blocks():
    """`(module file name, block)` for every solution block, in file order."""
    return [
        (path.name, block)
        for path in (SOLUTION_DIR / f"{name}.py" for name in SOLUTION_MODULES)
        for block in parse_blocks(path.read_text(encoding="utf-8"), path)
    ]


def sort_key(todo_id):
    """`"3.10"` -> `(3, 10)`, so that 3.10 comes after 3.9."""
    return tuple(int(part) for part in todo_id.split("."))


# --- numbering and regeneration (text only) ---------------------------------


@pytest.mark.parametrize("part, name", NUMBERED_MODULES)
def test_todo_ids_of_each_module_count_up_within_its_part(part, name):
    source = (EVERY_PART_STENCIL / f"{name}.py").read_text()
    ids = re.findall(r"^[ \t]*# TODO (\S+):", source, re.MULTILINE)
    assert ids, f"stencil/{name}.py has no TODO"
    assert ids == [f"{part}.{number}" for number in range(1, len(ids) + 1)]


@pytest.mark.parametrize(
    "name, block", solution_blocks(), ids=lambda value: getattr(value, "todo_id", value)
)
def test_editing_a_real_solution_block_rewrites_exactly_that_stencil_block(tmp_path, name, block):
    solution, stencil = tmp_path / "solution", tmp_path / "stencil"
    shutil.copytree(SOLUTION_DIR, solution)
    build_stencil(solution, stencil)
    lines = (solution / name).read_text(encoding="utf-8").splitlines(keepends=True)
    begin = lines[block.begin_line - 1]
    indent = begin[: len(begin) - len(begin.lstrip())]
    lines[block.begin_line - 1] = begin.replace(block.task, block.task + " (edited)")
    lines.insert(block.begin_line, f"{indent}pass  # a new solution line: not in the stencil\n")
    (solution / name).write_text("".join(lines), encoding="utf-8")

    before = (stencil / name).read_text().splitlines()
    assert build_stencil(solution, stencil) == [name]
    after = (stencil / name).read_text().splitlines()
    changed = [line for line in difflib.unified_diff(before, after, n=0, lineterm="")
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    old, new = f"TODO {block.todo_id}: {block.task}", f"TODO {block.todo_id}: {block.task} (edited)"
    if block.stencil_lines:  # They stay; only the TODO comment changes.
        assert changed == [f"-{indent}# {old}", f"+{indent}# {new}"]
    else:
        assert changed == [
            f"-{indent}# {old}",
            f"-{indent}raise NotImplementedError({json.dumps(old, ensure_ascii=False)})",
            f"+{indent}# {new}",
            f"+{indent}raise NotImplementedError({json.dumps(new, ensure_ascii=False)})",
        ]


# --- the handout (text only), for the default course and two other shapes ----


COURSES = ("course.toml", "docs/courses/ae_vae_only.toml", "docs/courses/everything.toml")


@pytest.fixture(params=COURSES)
def course_case(request):
    """`(course, its handout, {todo_id: task} of its stencil)` for each course file of COURSES."""
    from autograder.course import load_course
    from autograder.handout import course_handout
    from autograder.stencil import render_all

    course = load_course(REPO_ROOT / request.param)
    handout = course_handout(HANDOUT.read_text(encoding="utf-8"), course)
    todos = {}
    for text in render_all(SOLUTION_DIR, course.left_out_modules, course.renumber).values():
        for todo_id, task in TODO_LINE.findall(text):
            assert todo_id not in todos, f"TODO {todo_id} appears twice in the stencil"
            todos[todo_id] = task
    return course, handout, todos


def test_the_default_course_handout_is_the_handout_without_the_optional_parts():
    from autograder.handout import course_handout

    handout = HANDOUT.read_text(encoding="utf-8").splitlines()
    default = course_handout("\n".join(handout) + "\n", load_course(REPO_ROOT / "course.toml"))
    matcher = difflib.SequenceMatcher(a=handout, b=default.splitlines(), autojunk=False)
    changes = [operation for operation in matcher.get_opcodes() if operation[0] != "equal"]
    assert all(operation[0] == "delete" for operation in changes), changes
    dropped = "\n".join(line for tag, start, end, _, _ in changes for line in handout[start:end])
    assert "## Part 6" in dropped and "## Part 5" not in dropped
    assert set(TODO_ID.findall("\n".join(handout))) == set(stencil_todos())


def test_handout_covers_every_todo_and_names_no_other(course_case):
    _, handout, todos = course_case
    mentioned = set(TODO_ID.findall(handout))
    assert not set(todos) - mentioned, f"the handout omits TODO {sorted(set(todos) - mentioned)}"
    assert not mentioned - set(todos), f"the handout names TODO {sorted(mentioned - set(todos))}"


def test_handout_lists_each_task_once_in_order(course_case):
    _, handout, todos = course_case
    tasks = re.findall(r"^- \*\*TODO (\d+\.\d+)\*\*", handout, re.MULTILINE)
    assert tasks == sorted(todos, key=sort_key)


def test_handout_has_one_section_per_part_numbered_as_the_course(course_case):
    course, handout, _ = course_case
    sections = re.findall(r"^## (Part \d+(?: \(bonus\))?):", handout, re.MULTILINE)
    assert sections == [part.title.split(":")[0] for part in course.rubric]


def test_handout_names_every_file_to_submit_and_no_other(course_case):
    course, handout, _ = course_case
    submit = handout.split("## What to submit")[1].split("\n## ")[0]
    assert re.findall(r"^- `(\w+)\.py`", submit, re.MULTILINE) == list(course.modules)


def test_handout_lists_the_parts_that_grade_q_accepts(course_case):
    course, handout, _ = course_case
    sentence = re.search(r"The parts? (?:are|is) ([^.]+)\.", handout)
    assert sentence, "the handout does not list the parts for `grade -q PART`"
    assert re.findall(r"`([^`]+)`", sentence.group(1)) == [part.id for part in course.rubric]


def test_handout_points_table_is_the_rubric(course_case):
    from autograder.commands.rubric import format_markdown

    course, handout, _ = course_case
    assert handout.count(RUBRIC_BEGIN) == 1 and handout.count(RUBRIC_END) == 1
    table = handout.split(RUBRIC_BEGIN)[1].split(RUBRIC_END)[0]
    assert table.strip() == format_markdown(course.rubric).strip(), (
        "The handout's points table differs from the rubric: paste the output of "
        "`python -m autograder rubric --markdown` between the RUBRIC TABLE markers."
    )


# --- the stencil as Python -----------------------------------------------------


@pytest.fixture(scope="module")
def stencil(solution):
    """The stencil, loaded after the solution; the solution's registrations are restored after."""
    import keras

    registered = dict(keras.saving.get_custom_objects())
    modules = {name: sys.modules.get(name) for name in ALL_MODULE_NAMES}
    yield load_implementation(EVERY_PART_STENCIL)
    keras.saving.get_custom_objects().clear()
    keras.saving.get_custom_objects().update(registered)
    for name, module in modules.items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


def describe(member):
    """What a student relies on in a function or attribute: its signature and own docstring."""
    if isinstance(member, (staticmethod, classmethod)):
        member = member.__func__
    if isinstance(member, property):
        return ("property", member.__doc__)
    if inspect.isfunction(member):
        return (str(inspect.signature(member)), member.__doc__)
    return repr(member)


def public_api(module):
    """`{name: description}` of a module's public names; its own classes list their members."""
    api = {}
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if inspect.ismodule(value):
            api[name] = f"module {value.__name__}"
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            api[name] = {
                "bases": [base.__name__ for base in value.__bases__],
                "signature": str(inspect.signature(value)),
                "doc": value.__doc__,
                "members": {
                    key: describe(member) for key, member in vars(value).items()
                    if not key.startswith("_") or key == "__init__"
                },
            }
        elif inspect.isclass(value) or inspect.isfunction(value):
            api[name] = f"{value.__module__}.{value.__qualname__}" + (
                describe(value)[0] if inspect.isfunction(value) else ""
            )
        else:
            api[name] = repr(value)
    return api


@pytest.mark.parametrize("name", SOLUTION_MODULES)
def test_stencil_keeps_the_public_names_signatures_and_docstrings(solution, stencil, name):
    expected, actual = public_api(getattr(solution, name)), public_api(getattr(stencil, name))
    assert sorted(actual) == sorted(expected)
    for key in expected:
        assert actual[key] == expected[key], f"{name}.{key} differs between solution and stencil"


def images(n=2):
    """`n` random images, `(n, 28, 28, 1)`."""
    return np.random.default_rng(0).uniform(size=(n, 28, 28, 1)).astype("float32")


CODES = np.zeros((2, 2), dtype="float32")
LABELS = np.array([3, 7])


def hybrid(solution, stencil, module, class_name, *methods):
    """The solution's class with the stencil's `methods`: reaches one TODO past the others."""
    solution_class = getattr(getattr(solution, module), class_name)
    stencil_class = getattr(getattr(stencil, module), class_name)
    overrides = {name: vars(stencil_class)[name] for name in methods}
    return type(class_name, (solution_class,), overrides)


def conv2d_transpose_past_todo_1_1(solution, stencil):
    """`conv2d_transpose`, with the solution's output length (TODO 1.1 comes first)."""
    with mock.patch.object(
        stencil.transposed_conv, "conv_transpose_output_length",
        solution.transposed_conv.conv_transpose_output_length,
    ):
        stencil.transposed_conv.conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)))


def train_step(solution, stencil):
    model = hybrid(solution, stencil, "vae", "VAE", "train_step")()
    model.compile(optimizer="adam")
    model.train_step(images())


# One call per TODO that reaches it in the stencil; every other piece comes from the solution.
TRIGGERS = {
    "1.1": lambda sol, st: st.transposed_conv.conv_transpose_output_length(2, 2),
    "1.2": conv2d_transpose_past_todo_1_1,
    "2.1": lambda sol, st: st.autoencoder.Encoder(2),
    "2.2": lambda sol, st: hybrid(sol, st, "autoencoder", "Encoder", "call")(2).call(images()),
    "2.3": lambda sol, st: st.autoencoder.Decoder(2),
    "2.4": lambda sol, st: hybrid(sol, st, "autoencoder", "Decoder", "call")(2).call(CODES),
    "2.5": lambda sol, st: hybrid(sol, st, "autoencoder", "DenoisingAutoencoder", "call")()
    .call(images(), training=True),
    "2.6": lambda sol, st: st.autoencoder.pca(images(5), 2),
    "3.1": lambda sol, st: st.vae.Sampling(seed=1),
    "3.2": lambda sol, st: hybrid(sol, st, "vae", "Sampling", "call")(seed=1).call([CODES, CODES]),
    "3.3": lambda sol, st: st.vae.kl_divergence(CODES, CODES),
    "3.4": lambda sol, st: st.vae.reconstruction_loss(images(), images()),
    "3.5": lambda sol, st: st.vae.VAEEncoder(2),
    "3.6": lambda sol, st: hybrid(sol, st, "vae", "VAEEncoder", "call")(2).call(images()),
    "3.7": lambda sol, st: hybrid(sol, st, "vae", "VAE", "add_kl_loss")().add_kl_loss(CODES, CODES),
    "3.8": lambda sol, st: hybrid(sol, st, "vae", "VAE", "call")().call(images()),
    "3.9": train_step,
    "3.10": lambda sol, st: hybrid(sol, st, "vae", "VAE", "draw_prior")().sample(3),
    "3.11": lambda sol, st: st.vae.interpolate(np.zeros(2), np.ones(2), 5),
    "4.1": lambda sol, st: hybrid(sol, st, "cvae", "ConditionalVAE", "encode")()
    .encode((images(), LABELS)),
    "4.2": lambda sol, st: hybrid(sol, st, "cvae", "ConditionalVAE", "decode")()
    .decode((CODES, LABELS)),
    "4.3": lambda sol, st: hybrid(sol, st, "cvae", "ConditionalVAE", "call")()
    .call((images(), LABELS)),
    "4.4": lambda sol, st: hybrid(sol, st, "cvae", "ConditionalVAE", "sample")().sample(LABELS),
    "5.1": lambda sol, st: hybrid(sol, st, "vqvae", "VectorQuantizer", "indices")(8, 4)
    .indices(np.zeros((2, 7, 7, 4), dtype="float32")),
    "5.2": lambda sol, st: hybrid(sol, st, "vqvae", "VectorQuantizer", "call")(8, 4)
    .call(np.zeros((2, 7, 7, 4), dtype="float32")),
    "6.1": lambda sol, st: st.sparse_autoencoder.sparsity_penalty(CODES, 0.1),
    "6.2": lambda sol, st: hybrid(sol, st, "sparse_autoencoder", "SparseAutoencoder", "call")(2)
    .call(images()),
    "7.1": lambda sol, st: st.masked_autoencoder.masked_reconstruction_loss(images(), images(),
                                                                           images()),
    "7.2": lambda sol, st: hybrid(sol, st, "masked_autoencoder", "MaskedAutoencoder",
                                  "draw_mask")(2).draw_mask(2),
    "7.3": lambda sol, st: hybrid(sol, st, "masked_autoencoder", "MaskedAutoencoder", "call")(2)
    .call(images(), training=True),
    "8.1": lambda sol, st: st.gaussian_decoder.gaussian_reconstruction_loss(images(), images(),
                                                                           0.1),
}


def test_every_todo_of_the_stencil_has_a_trigger():
    assert sorted(TRIGGERS, key=sort_key) == sorted(stencil_todos(), key=sort_key)


@pytest.mark.parametrize("todo_id", sorted(TRIGGERS, key=sort_key))
def test_each_todo_raises_not_implemented_error_naming_it(solution, stencil, todo_id):
    task = stencil_todos()[todo_id]
    with pytest.raises(NotImplementedError) as raised:
        TRIGGERS[todo_id](solution, stencil)
    assert str(raised.value) == f"TODO {todo_id}: {task}"
    innermost = Path(traceback.extract_tb(raised.tb)[-1].filename).resolve()
    assert innermost.parent == EVERY_PART_STENCIL.resolve()


# What a student meets first when training each model on the untouched stencil.
FIRST_TODO = {"ae": "2.1", "dae": "2.1", "vae": "3.5", "cvae": "3.5", "vqvae": "5.2",
              "sparse-ae": "2.1", "masked-ae": "2.1", "gaussian-vae": "3.5"}


@pytest.mark.parametrize("name", sorted(FIRST_TODO))
def test_training_a_stencil_model_stops_at_its_first_todo(stencil, small_data, name):
    x, y = small_data
    with pytest.raises(NotImplementedError) as raised:
        training.train_model(stencil, name, (x[:8], y[:8]), epochs=1, verbose=0, batch_size=8)
    # Keras wraps a layer's error in its call's context; the TODO is still the first one named.
    assert re.findall(r"TODO (\d+\.\d+): ", str(raised.value))[:1] == [FIRST_TODO[name]]


def test_the_given_linear_autoencoder_trains_in_the_stencil(stencil, small_data):
    x, y = small_data
    model, history = training.train_model(
        stencil, "linear-ae", (x[:8], y[:8]), epochs=1, verbose=0, batch_size=8
    )
    assert np.isfinite(history.history["loss"]).all()


def test_every_model_but_the_given_one_is_checked_for_its_first_todo():
    assert sorted(FIRST_TODO) == sorted(set(training.MODEL_NAMES) - {"linear-ae"})
