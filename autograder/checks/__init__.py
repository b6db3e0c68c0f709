"""The checks of the rubric; importing this package registers them all.

One module per part holds the checks shown before the due date, which the
student bundle ships (`python -m autograder release`); `after_due_date/` holds
the others, which stay with the course staff and are registered only where
they are present.
"""

import importlib.util

from autograder.checks import (  # noqa: F401
    autoencoders,
    cvae,
    gaussian_decoder,
    masked_autoencoder,
    sparse_autoencoder,
    transposed_conv,
    vae,
    vqvae,
)

AFTER_DUE_DATE = "autograder.checks.after_due_date"

if importlib.util.find_spec(AFTER_DUE_DATE) is not None:
    importlib.import_module(AFTER_DUE_DATE)
