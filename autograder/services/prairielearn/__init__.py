"""The PrairieLearn package: a grading image to build, and a question that uses it.

PrairieLearn grades an externally graded question in a Docker image of the
course's choosing: its own Python image has no TensorFlow, so the package
holds the build folder of one (`graderImage/`: a Dockerfile that installs the
pinned requirements, the grader, and the entry script `run`, which grades
`/grade/student` and writes `/grade/results/results.json`), and a question
(`questions/<QUESTION>/`: `info.json` with the `externalGradingOptions` that
name the image, the entry point and the time-out, and a `question.html` that
asks for the five files). The image name is `--image`; push the image there.
"""

import json
import sys
import uuid
from pathlib import Path

from autograder.services import template
from autograder.services.grader import grader_bundle, problems

NAME = "prairielearn"
DEFAULT_OUT = Path("build") / "prairielearn"
FOLDER = True
IMAGE_FOLDER = "graderImage/"
QUESTION = "autoencodersVAE"
ENTRYPOINT = "/grader/run"
# PrairieLearn's largest grading time-out, in seconds (the parts' own limits add up to more).
TIMEOUT = 600
PYTHON = ".".join(map(str, sys.version_info[:2]))


def info_json(image):
    """The question's `info.json`, grading with the Docker image `image`."""
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"autoencoders-vae-keras3/{QUESTION}")),
        "type": "v3",
        "title": "Autoencoders and VAEs in Keras 3",
        "topic": "Autoencoders",
        "tags": ["code", "keras"],
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {"image": image, "entrypoint": ENTRYPOINT, "timeout": TIMEOUT},
    }


def build(requirements, options):
    """The package's `Bundle` (grading with the image `options.image`), and what is wrong."""
    from autograder.bundle import Bundle

    grader = grader_bundle(requirements, options.secret, options.course)
    package = Bundle()
    package.include(grader, IMAGE_FOLDER)
    package.add(IMAGE_FOLDER + "Dockerfile",
                template(NAME, "Dockerfile").decode().replace("@PYTHON@", PYTHON))
    package.add(IMAGE_FOLDER + "run", template(NAME, "run"), mode=0o755)
    question = f"questions/{QUESTION}/"
    package.add(question + "info.json", json.dumps(info_json(options.image), indent=2) + "\n")
    package.add(question + "question.html", template(NAME, "question.html").decode().replace(
        "@MODULES@", ", ".join(f"{name}.py" for name in options.course.modules)))
    return package, problems(grader, package, options.course)


def write(bundle, out):
    bundle.write_folder(out)


def next_steps(out, options):
    return [f"Build and push the grading image: docker build -t {options.image} "
            f"{out}/{IMAGE_FOLDER} && docker push {options.image}",
            f"Copy {out}/questions/{QUESTION}/ into your course's questions/ and add it to an "
            "assessment (README.md, PrairieLearn)."]
