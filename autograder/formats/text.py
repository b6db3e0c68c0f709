"""The words every writer uses: points, a check's feedback, the total, and cutting to a size.

`check_output` is what a student reads about one check (its feedback, then
what was expected and what was got); `total` is the line that sums a run up;
`fit` shortens the texts of a result, all to one common length, until the
result fits the size limit of the service that reads it.
"""

LEFT_OUT = "\n[... {count} characters left out ...]\n"


def points(value):
    """`value` as people write points: `4`, `3.5`, `3.33`."""
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def check_details(item):
    """`(label, text)` of what a `CheckReport` expected and got, when it says."""
    return [(label, text) for label, text in (("Expected", item.expected), ("Got", item.got))
            if text]


def check_output(item):
    """A check's feedback, then `Expected: ...` and `Got: ...`, one per line."""
    lines = [item.feedback] if item.feedback else []
    lines += [f"{label}: {text}" for label, text in check_details(item)]
    return "\n".join(lines)


def total(report):
    """`Total: 8 / 16 points + bonus 0 / 4`, naming only what `report` graded."""
    graded = f"{points(report.score)} / {points(report.max_score)}"
    bonus = f"bonus {points(report.bonus)} / {points(report.max_bonus)}"
    if report.max_bonus and not report.max_score:
        return f"Total: {bonus} points"
    return f"Total: {graded} points" + (f" + {bonus}" if report.max_bonus else "")


def shorten(text, length):
    """`text` cut to at most `length` characters, keeping its start and its end.

    The cut says how many characters were left out. The same text and length
    always give the same result.
    """
    if len(text) <= length:
        return text
    marker = LEFT_OUT.format(count=len(text))
    if length <= len(marker) + 2:
        return text[:length]
    kept = length - len(marker)
    marker = LEFT_OUT.format(count=len(text) - kept)
    kept = length - len(marker)
    head = kept * 2 // 3
    return text[:head] + marker + text[len(text) - (kept - head):]


def fit(build, texts, limit):
    """The largest result of `build` that is at most `limit` bytes long.

    Every text longer than a common length is shortened to it (`shorten`); the
    common length is found by bisection, to within 1 % of the longest that fits.

    Args:
        build: function of a list of texts (as `texts`) to the result, bytes.
        texts: the texts that may be shortened.
        limit: the largest size allowed, in bytes.

    Returns:
        The bytes of the result.

    Raises:
        ValueError: if the result does not fit even with every text emptied.
    """
    texts = list(texts)
    whole = build(texts)
    if len(whole) <= limit:
        return whole
    shortest = build(["" for _ in texts])
    if len(shortest) > limit:
        raise ValueError(f"the result takes {len(shortest)} bytes without any text, "
                         f"more than the limit of {limit}")
    low, high = 0, min(limit, max(len(text) for text in texts))  # no longer text can fit
    best = shortest
    while low <= high and high - low >= low // 100:
        length = (low + high) // 2
        result = build([shorten(text, length) for text in texts])
        if len(result) <= limit:
            best, low = result, length + 1
        else:
            high = length - 1
    return best
