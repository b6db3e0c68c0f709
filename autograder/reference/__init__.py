"""Reference values and mistake variants: what the checks compare a student's results with.

Trusted, staff-only code (never shipped to students, unreadable for the
workers), written independently of `assignment/solution/`, one module per
topic:

- `transposed_conv`: Keras's `Conv2DTranspose` by zero insertion, its output
  length rule, and switches that give the classic mistakes' values;
- `pca`: principal components by eigendecomposition, principal angles;
- `vae`: the closed-form KL, the Bernoulli reconstruction loss, the negative
  ELBO, and the values of the KL and loss mistakes;
- `vqvae`: nearest codewords by brute force, and the wrong distances.
"""
