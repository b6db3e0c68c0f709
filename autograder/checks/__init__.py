"""The checks of the rubric, one module per part; importing this package registers them all."""

from autograder.checks import autoencoders, cvae, transposed_conv, vae, vqvae  # noqa: F401
