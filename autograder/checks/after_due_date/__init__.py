"""The checks graded after the due date: the quality of short training runs, one module per part.

Staff-only: the student bundle leaves this package out (with the evaluation
metrics it uses), so its pass lines and reference measurements are not handed
out. Importing it registers its checks.
"""

from autograder.checks.after_due_date import (  # noqa: F401
    autoencoders,
    cvae,
    gaussian_decoder,
    masked_autoencoder,
    sparse_autoencoder,
    vae,
    vqvae,
)
