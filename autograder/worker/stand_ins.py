"""Stand-ins for upstream pieces of student code that crash or are not done yet.

A check grades its own TODOs. When the code it runs calls another TODO's piece
(`VAE.call` calls `kl_divergence`, `conv2d_transpose` calls
`conv_transpose_output_length`, ...) and that piece raises, the check would
fail for a TODO it does not grade. A probe therefore names the upstream TODOs
it may stand in for (`Probe.stand_ins`); before it runs, the worker calls each
of those pieces once on a tiny input and, if it raises, puts in its place the
formula that the TODO's text gives (public in the handout), for that probe
only. The result says which pieces stood in and why, and the feedback says so
("graded with a stand-in for TODO 3.3 (kl_divergence), because yours raised
...").

A piece that runs but gives wrong values is never replaced: downstream checks
grade the student's code as it is, against values derived from the student's
own outputs.

Staff-only: these are answers to TODOs, so the student bundle leaves this
module out (and grades without stand-ins).
"""

import contextlib
import dataclasses
import os
import traceback
import types

from assignment.student_errors import describe_exception


@dataclasses.dataclass(frozen=True)
class StandIn:
    """How to test one TODO's piece, and what to put in its place.

    Attributes:
        module: the student module that defines it, e.g. `"vae"`.
        owner: the class the piece is a method of, or None for a module-level name.
        name: the function, class or method name.
        smoke_test: `smoke_test(impl)` calls the piece once on a tiny input.
        replacement: `replacement(impl)` returns the object to put in its place.
    """

    module: str
    owner: str | None
    name: str
    smoke_test: object
    replacement: object

    @property
    def label(self):
        return f"{self.owner}.{self.name}" if self.owner else self.name


# --- The public formulas -----------------------------------------------------------------


def _output_length(impl):
    def conv_transpose_output_length(input_length, kernel_size, stride=1, padding="valid",
                                     output_padding=None):
        n, k, s = input_length, kernel_size, stride
        if output_padding is None:
            return (n - 1) * s + max(k, s) if padding.lower() == "valid" else n * s
        crop = 2 * (k // 2) if padding.lower() == "same" else 0
        return (n - 1) * s + k - crop + output_padding

    return conv_transpose_output_length


def _sampling(impl):
    import keras
    from keras import ops

    class Sampling(keras.layers.Layer):
        def __init__(self, seed=None, **kwargs):
            super().__init__(**kwargs)
            self.seed = seed
            self.seed_generator = keras.random.SeedGenerator(seed)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * eps

        def get_config(self):
            return {**super().get_config(), "seed": self.seed}

    return Sampling


def _kl_divergence(impl):
    from keras import ops

    def kl_divergence(z_mean, z_log_var):
        return 0.5 * ops.sum(ops.square(z_mean) + ops.exp(z_log_var) - z_log_var - 1.0, axis=-1)

    return kl_divergence


def _reconstruction_loss(impl):
    from keras import ops

    def reconstruction_loss(x, x_hat):
        per_pixel = ops.binary_crossentropy(x, x_hat)
        return ops.sum(ops.reshape(per_pixel, (ops.shape(x)[0], -1)), axis=1)

    return reconstruction_loss


def _add_kl_loss(impl):
    from keras import ops

    vae = impl.vae

    def add_kl_loss(self, z_mean, z_log_var):
        kl = ops.mean(vae.kl_divergence(z_mean, z_log_var))
        self.kl_loss_tracker.update_state(kl)
        self.add_loss(self.beta * kl)

    return add_kl_loss


def _vae_call(impl):
    def call(self, x, training=False):
        z_mean, z_log_var = self.encode(x)
        self.add_kl_loss(z_mean, z_log_var)
        return self.decode(self.sampling([z_mean, z_log_var]))

    return call


def _draw_prior(impl):
    import keras

    def draw_prior(self, n, seed=None):
        seed = self.prior_seed_generator if seed is None else seed
        return keras.random.normal((n, self.latent_dim), seed=seed)

    return draw_prior


def _indices(impl):
    from keras import ops

    def indices(self, z_e):
        flat = ops.reshape(z_e, (-1, self.embedding_dim))
        distances = (ops.sum(ops.square(flat), axis=1, keepdims=True)
                     - 2.0 * ops.matmul(flat, ops.transpose(self.codebook))
                     + ops.sum(ops.square(self.codebook), axis=1))
        return ops.reshape(ops.argmin(distances, axis=1), ops.shape(z_e)[:-1])

    return indices


# --- Smoke tests: one call on a tiny input -----------------------------------------------


def _sparsity_penalty(impl):
    from keras import ops

    def sparsity_penalty(z, l1):
        return l1 * ops.mean(ops.sum(ops.abs(z), axis=-1))

    return sparsity_penalty


def _masked_reconstruction_loss(impl):
    from keras import ops

    def masked_reconstruction_loss(x, x_hat, mask):
        return ops.sum(mask * ops.square(x - x_hat)) / ops.sum(mask)

    return masked_reconstruction_loss


def _draw_mask(impl):
    import keras
    from keras import ops

    def draw_mask(self, batch_size):
        noise = keras.random.uniform((batch_size, self.num_patches), seed=self.seed_generator)
        ranks = ops.argsort(ops.argsort(noise, axis=-1), axis=-1)
        hidden = ops.cast(ranks < self.masked_patches, "float32")
        hidden = ops.reshape(hidden, (batch_size, self.grid, self.grid, 1))
        return ops.repeat(ops.repeat(hidden, self.patch, axis=1), self.patch, axis=2)

    return draw_mask


def _zeros(*shape):
    from keras import ops

    return ops.zeros(shape)


def _test_output_length(impl):
    impl.transposed_conv.conv_transpose_output_length(3, 3, 2, "same", None)


def _test_sampling(impl):
    impl.vae.Sampling(seed=1)([_zeros(2, 3), _zeros(2, 3)])


def _test_kl_divergence(impl):
    impl.vae.kl_divergence(_zeros(2, 3), _zeros(2, 3))


def _test_reconstruction_loss(impl):
    impl.vae.reconstruction_loss(_zeros(2, 28, 28, 1) + 0.5, _zeros(2, 28, 28, 1) + 0.5)


def _test_add_kl_loss(impl):
    impl.vae.VAE(latent_dim=3).add_kl_loss(_zeros(2, 3), _zeros(2, 3))


def _test_vae_call(impl):
    impl.vae.VAE(latent_dim=3)(_zeros(2, 28, 28, 1))


def _test_draw_prior(impl):
    impl.vae.VAE(latent_dim=3).draw_prior(2, seed=1)


def _test_indices(impl):
    quantizer = impl.vqvae.VectorQuantizer(4, 2)
    quantizer.build((1, 2, 2, 2))
    quantizer.indices(_zeros(1, 2, 2, 2))


def _test_sparsity_penalty(impl):
    impl.sparse_autoencoder.sparsity_penalty(_zeros(2, 3), 0.1)


def _test_masked_reconstruction_loss(impl):
    impl.masked_autoencoder.masked_reconstruction_loss(_zeros(2, 28, 28, 1), _zeros(2, 28, 28, 1),
                                                       _zeros(2, 28, 28, 1) + 1.0)


def _test_draw_mask(impl):
    impl.masked_autoencoder.MaskedAutoencoder(latent_dim=2).draw_mask(2)


# In the order they are tested: a later piece is tested with the earlier stand-ins in place.
STAND_INS = {
    "1.1": StandIn("transposed_conv", None, "conv_transpose_output_length", _test_output_length,
                   _output_length),
    "3.2": StandIn("vae", None, "Sampling", _test_sampling, _sampling),
    "3.3": StandIn("vae", None, "kl_divergence", _test_kl_divergence, _kl_divergence),
    "3.4": StandIn("vae", None, "reconstruction_loss", _test_reconstruction_loss,
                   _reconstruction_loss),
    "3.7": StandIn("vae", "VAE", "add_kl_loss", _test_add_kl_loss, _add_kl_loss),
    "3.8": StandIn("vae", "VAE", "call", _test_vae_call, _vae_call),
    "3.10": StandIn("vae", "VAE", "draw_prior", _test_draw_prior, _draw_prior),
    "5.1": StandIn("vqvae", "VectorQuantizer", "indices", _test_indices, _indices),
    "6.1": StandIn("sparse_autoencoder", None, "sparsity_penalty", _test_sparsity_penalty,
                   _sparsity_penalty),
    "7.1": StandIn("masked_autoencoder", None, "masked_reconstruction_loss",
                   _test_masked_reconstruction_loss, _masked_reconstruction_loss),
    "7.2": StandIn("masked_autoencoder", "MaskedAutoencoder", "draw_mask", _test_draw_mask,
                   _draw_mask),
}


def _rebind(impl, owner, piece, name, new):
    """Puts `new` in place of `piece`: `owner.name` (a class attribute) or a module-level `name`.

    A module-level piece is replaced in every loaded student module that holds
    it (e.g. `from vae import kl_divergence` in `cvae.py`).

    Returns:
        A function that undoes the change.
    """
    if owner is not None:
        setattr(owner, name, new)
        return lambda: setattr(owner, name, piece)
    holders = [module for module in vars(impl).values()
               if isinstance(module, types.ModuleType) and module.__dict__.get(name) is piece]
    for module in holders:
        setattr(module, name, new)
    return lambda: [setattr(module, name, piece) for module in holders]


def _code_objects(piece):
    """The code objects of a function, or of every method of a class."""
    if isinstance(piece, type):
        functions = [getattr(member, "__func__", member) for member in vars(piece).values()]
    else:
        functions = [piece]
    return {function.__code__ for function in functions if hasattr(function, "__code__")}


def raised_in(error, piece, student_dir):
    """Whether the innermost frame of student code in `error`'s traceback lies in `piece`.

    A piece that calls another broken piece did not raise itself: it is not
    replaced, so that no feedback blames code without evidence.
    """
    prefix = os.path.join(str(student_dir), "")
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)
              if frame.f_code.co_filename.startswith(prefix)]
    return bool(frames) and frames[-1].f_code in _code_objects(piece)


@contextlib.contextmanager
def standing_in(impl, todo_ids, student_dir):
    """Puts stand-ins in place of the pieces of `todo_ids` that raise, for the `with` block.

    Args:
        impl: the student's implementation.
        todo_ids: TODO ids a probe may stand in for (keys of `STAND_INS`).
        student_dir: the student's directory, to tell their errors.

    Yields:
        A dict TODO id -> why it stood in (the student's error, in one line),
        filled before the block runs.
    """
    used, undo = {}, []
    try:
        for todo_id in (todo_id for todo_id in STAND_INS if todo_id in todo_ids):
            stand_in = STAND_INS[todo_id]
            module = getattr(impl, stand_in.module, None)
            owner = getattr(module, stand_in.owner, None) if stand_in.owner else None
            if module is None or (stand_in.owner and (owner is None
                                                      or stand_in.name not in owner.__dict__)):
                continue
            piece = (owner or module).__dict__.get(stand_in.name)
            try:
                stand_in.smoke_test(impl)
            except Exception as error:  # noqa: BLE001  (student code: any error counts)
                if piece is None or not raised_in(error, piece, student_dir):
                    continue
                reason, _ = describe_exception(error, student_dir)
                undo.append(_rebind(impl, owner, piece, stand_in.name,
                                    stand_in.replacement(impl)))
                used[todo_id] = f"{stand_in.label}: {reason}"
        yield used
    finally:
        for restore in reversed(undo):
            restore()
