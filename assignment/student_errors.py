"""How an error of student code is told in one line: an unfinished TODO, or an exception.

The stencil raises `NotImplementedError("TODO 3.3: <what to do>")` for every
answer not written yet (`todo_message`); the autograder's workers and the
course's tools recognise it (`TODO`) and say "TODO 3.3 is not done yet", and
describe any other exception by its type, its message and the line of the
student's file it came from (`describe_exception`).
"""

import re
import traceback
from pathlib import Path

# An unfinished answer: "TODO <part>.<number>: <what to do>".
TODO = re.compile(r"TODO (\d+\.\d+): (\S.*)", re.DOTALL)
MAX_MESSAGE_LENGTH = 300
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_KERAS_BOLD = re.compile(r"\x1b\[1m(.*?)\x1b\[0m", re.DOTALL)


def first_line(text):
    """The first non-blank line of `text`, shortened to `MAX_MESSAGE_LENGTH`."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            if len(line) > MAX_MESSAGE_LENGTH:
                line = line[: MAX_MESSAGE_LENGTH - 3] + "..."
            return line
    return ""


def message_of(error):
    """The message of `error`, without the wrapping Keras adds around layer calls.

    Keras re-raises an exception from `Layer.call` as "Exception encountered
    when calling X.call(). <the original message in bold> Arguments received
    by ..."; the bold part is the message that matters.
    """
    try:
        text = str(error)
    except Exception:  # noqa: BLE001  (an exception class of the student's with a broken __str__)
        return "(the message could not be printed)"
    if text.startswith("Exception encountered when calling"):
        bold = _KERAS_BOLD.search(text)
        if bold:
            text = bold.group(1)
        else:
            text = text.split("\n\n")[1] if "\n\n" in text else text
    return _ANSI.sub("", text)


def student_frame(error, student_dir):
    """`(path, line, function)` of the deepest frame of student code in `error`, or None.

    A frame is student code when its file lies directly in `student_dir`; a
    `SyntaxError` in such a file gives that file, its line and no function.
    """
    directory = Path(student_dir).resolve()

    def in_directory(filename):
        return bool(filename) and Path(filename).is_absolute() and (
            Path(filename).resolve().parent == directory)

    if isinstance(error, SyntaxError) and in_directory(error.filename):
        return error.filename, error.lineno, None
    frames = [(frame.f_code.co_filename, line, frame.f_code.co_qualname)
              for frame, line in traceback.walk_tb(error.__traceback__)
              if in_directory(frame.f_code.co_filename)]
    return frames[-1] if frames else None


def _student_location(error, student_dir):
    """`"file.py, line N, in function"` of the deepest frame of student code, or None."""
    frame = student_frame(error, student_dir)
    if frame is None:
        return None
    path, line, function = frame
    where = f"{Path(path).name}, line {line}"
    return f"{where}, in {function}" if function else where


def describe_exception(error, student_dir):
    """A one-line description of an exception raised by or through student code.

    Args:
        error: the exception (any `BaseException`, `SystemExit` included).
        student_dir: directory of the student's modules; the description names
            the deepest line of a file in it.

    Returns:
        `(message, todo)`: e.g. `("ZeroDivisionError: division by zero (vae.py,
        line 12, in kl_divergence)", None)`, or for `NotImplementedError("TODO
        3.3: ...")` `("TODO 3.3 is not done yet: ...", "3.3")`.
    """
    message = message_of(error)
    if isinstance(error, NotImplementedError):
        todo = TODO.match(message.strip())
        if todo:
            todo_id, task = todo.groups()
            return f"TODO {todo_id} is not done yet: {first_line(task)}", todo_id
    if isinstance(error, SystemExit):
        text = f"SystemExit: your code called sys.exit({error.code!r})"
    elif isinstance(error, SyntaxError):
        message = first_line(error.msg or "")
        text = f"SyntaxError: {message}" if message else "SyntaxError"
    else:
        text = exception_text(error)
    where = _student_location(error, student_dir)
    return (f"{text} ({where})" if where else text), None


def todo_message(todo_id, task):
    """The message of the `NotImplementedError` that stands for TODO `todo_id` in the stencil."""
    return f"TODO {todo_id}: {task}"


def exception_text(error):
    """`"TypeError: message"`: the type and the first line of the message, Keras's wrapping off."""
    message = first_line(message_of(error))
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
