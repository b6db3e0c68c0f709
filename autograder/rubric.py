"""The rubric, as data: parts, their checks, points, visibility and dependencies.

This is the single source of the points. `RUBRIC` is the default assignment
(100 points + 10 bonus); `ALL_PARTS` adds the parts a course may assign
besides. A course file (`course.toml`, read by `autograder.course`) chooses
from `ALL_PARTS` the parts it assigns, their points and which are bonus; the
runner grades that course's rubric, `python -m autograder rubric` prints it,
and the handout's points table is generated from it. Each `Item` is the rubric's record of one check; its id
names the check's implementation in `autograder.checks` (see
`autograder.checks.registry`).

Visibility follows Gradescope: `"visible"` checks are shown to students at once
(and run by `python -m autograder grade` on their own machine);
`"after_due_date"` checks are graded on Gradescope (`--all`) and shown after the
due date.
"""

import dataclasses

VISIBLE = "visible"
AFTER_DUE_DATE = "after_due_date"


@dataclasses.dataclass(frozen=True)
class Item:
    """The rubric's record of one graded check.

    Attributes:
        id: `"<part>.<name>"`, the key of its implementation.
        name: what it checks, shown to students.
        points: points it is worth.
        todos: the TODO ids of the stencil it covers (for feedback).
        visibility: `VISIBLE` or `AFTER_DUE_DATE`.
        depends: ids of checks that must pass fully before this one is graded.
    """

    id: str
    name: str
    points: float
    todos: tuple = ()
    visibility: str = VISIBLE
    depends: tuple = ()


@dataclasses.dataclass(frozen=True)
class Part:
    """A part of the assignment, graded in one sandboxed worker process.

    Attributes:
        id: short name used by `-q PART`.
        title: shown in reports.
        modules: student modules the part imports.
        time_limit: seconds the part's workers may run in total on the reference
            machine (2 cores), at least 3 times what the solution takes there;
            the grading machine scales it by its speed (`autograder.time_limits`).
        memory_limit_mb: memory the part's worker may add to what it shares with
            the zygote (less where the container's limit leaves less).
        checks: its `Item`s, in grading order.
        bonus: whether its points are extra credit on top of 100.
    """

    id: str
    title: str
    modules: tuple
    time_limit: float
    memory_limit_mb: int
    checks: tuple
    bonus: bool = False

    @property
    def points(self):
        return round(sum(check.points for check in self.checks), 9)


RUBRIC = (
    Part(
        "transposed_conv",
        "Part 1: transposed convolution",
        modules=("transposed_conv",),
        time_limit=10,
        memory_limit_mb=1500,
        checks=(
            Item("transposed_conv.output_length", "Output length rule of Conv2DTranspose", 4,
                 todos=("1.1",)),
            Item("transposed_conv.worked_examples", "Lecture's worked examples (stride 1 and 2)", 3,
                 todos=("1.2",)),
            Item("transposed_conv.keras_equivalence",
                 "Equals keras Conv2DTranspose on random configurations", 7,
                 todos=("1.1", "1.2")),
            Item("transposed_conv.numpy_only", "transposed_conv.py imports no TensorFlow/Keras", 1,
                 todos=("1.1", "1.2")),
        ),
    ),
    Part(
        "autoencoders",
        "Part 2: autoencoders",
        modules=("autoencoder",),
        time_limit=60,
        memory_limit_mb=1500,
        checks=(
            Item("autoencoders.encoder_shapes", "Encoder output shapes", 3, todos=("2.1", "2.2")),
            Item("autoencoders.decoder_upsampling",
                 "Decoder shapes, [0, 1] range and Conv2DTranspose upsampling", 4,
                 todos=("2.3", "2.4")),
            Item("autoencoders.serialization", "get_config and .keras save/load round trip", 2),
            Item("autoencoders.training", "Autoencoder trains to a low reconstruction error", 5),
            Item("autoencoders.denoising", "Denoising autoencoder corrupts in training only", 4,
                 todos=("2.5",)),
            Item("autoencoders.pca", "pca: components, mean and explained variance", 4,
                 todos=("2.6",)),
            Item("autoencoders.linear_subspace", "Linear autoencoder spans the PCA subspace", 3,
                 todos=("2.6",), visibility=AFTER_DUE_DATE),
        ),
    ),
    Part(
        "vae",
        "Part 3: variational autoencoder",
        modules=("autoencoder", "vae"),
        time_limit=130,
        memory_limit_mb=1500,
        checks=(
            Item("vae.sampling_statistics", "Sampling: shape, mean and standard deviation", 4,
                 todos=("3.1", "3.2")),
            Item("vae.sampling_noise", "Sampling: fresh noise each call, reproducible with a seed",
                 3, todos=("3.1", "3.2")),
            Item("vae.reparameterization_gradients",
                 "Reparameterization gradients dz/dmu and dz/dlog(sigma^2)", 5,
                 todos=("3.2",)),
            Item("vae.kl_closed_form", "KL divergence: closed form, per example", 6,
                 todos=("3.3",)),
            Item("vae.reconstruction_loss", "Reconstruction loss: BCE summed per example", 3,
                 todos=("3.4",)),
            Item("vae.encoder_heads", "VAEEncoder: mean and log-variance heads", 3,
                 todos=("3.5", "3.6")),
            Item("vae.add_loss", "call adds beta * KL with add_loss", 5, todos=("3.7", "3.8")),
            Item("vae.train_step", "train_step: keys, self.losses, gradients", 5,
                 todos=("3.9",)),
            Item("vae.loss_decreases", "Training lowers the loss", 3),
            Item("vae.sample_and_interpolate", "sample from the prior and interpolate", 3,
                 todos=("3.10", "3.11")),
            Item("vae.sample_quality", "Sample quality after a short training run", 5,
                 visibility=AFTER_DUE_DATE),
        ),
    ),
    Part(
        "cvae",
        "Part 4: conditional VAE",
        modules=("autoencoder", "vae", "cvae"),
        time_limit=90,
        memory_limit_mb=1500,
        checks=(
            Item("cvae.conditioning", "Labels condition the encoder, decoder and samples", 5,
                 todos=("4.1", "4.2", "4.3", "4.4")),
            Item("cvae.train_step", "fit(x, labels) trains with the three loss keys", 3),
            Item("cvae.conditional_accuracy", "Samples show the requested class", 7,
                 visibility=AFTER_DUE_DATE),
        ),
    ),
    Part(
        "vqvae",
        "Part 5 (bonus): VQ-VAE",
        modules=("autoencoder", "vqvae"),
        time_limit=60,
        memory_limit_mb=1500,
        bonus=True,
        checks=(
            Item("vqvae.nearest_codeword", "Quantizer picks the nearest codeword", 3,
                 todos=("5.1",)),
            Item("vqvae.straight_through", "Straight-through gradient and codebook losses", 3,
                 todos=("5.2",)),
            Item("vqvae.training", "Reconstruction and codebook usage after training", 4,
                 visibility=AFTER_DUE_DATE),
        ),
    ),
)

# Parts a course may assign besides the default ones (see course.toml).
EXTRA_PARTS = (
    Part(
        "sparse_autoencoder",
        "Part 6: sparse autoencoder",
        modules=("autoencoder", "sparse_autoencoder"),
        time_limit=60,
        memory_limit_mb=1500,
        checks=(
            Item("sparse_autoencoder.penalty", "sparsity_penalty: L1 of the code, batch mean, "
                 "times l1", 3, todos=("6.1",)),
            Item("sparse_autoencoder.add_loss", "call adds the code's penalty with add_loss", 3,
                 todos=("6.2",)),
            Item("sparse_autoencoder.sparsity", "Sparser code than without the penalty after "
                 "training", 4, visibility=AFTER_DUE_DATE),
        ),
    ),
    Part(
        "masked_autoencoder",
        "Part 7: masked autoencoder",
        modules=("autoencoder", "masked_autoencoder"),
        time_limit=70,
        memory_limit_mb=1500,
        checks=(
            Item("masked_autoencoder.loss", "masked_reconstruction_loss: MSE over the hidden "
                 "pixels only", 3, todos=("7.1",)),
            Item("masked_autoencoder.mask", "draw_mask: exactly masked_patches whole patches, "
                 "fresh for every image and call", 3, todos=("7.2",)),
            Item("masked_autoencoder.call", "call masks in training only, or with the mask "
                 "it is given", 3, todos=("7.3",)),
            Item("masked_autoencoder.inpainting", "Completes held-out masks after training", 4,
                 visibility=AFTER_DUE_DATE),
        ),
    ),
    Part(
        "gaussian_decoder",
        "Part 8: Gaussian decoder",
        modules=("autoencoder", "vae", "gaussian_decoder"),
        time_limit=70,
        memory_limit_mb=1500,
        checks=(
            Item("gaussian_decoder.loss", "gaussian_reconstruction_loss: squared error summed per "
                 "image, over 2c", 3, todos=("8.1",)),
            Item("gaussian_decoder.vae_loss", "GaussianVAE weighs the reconstruction by 1/(2c) "
                 "against the KL", 3, todos=("8.1",)),
            Item("gaussian_decoder.variance_effect", "A larger variance gives a lower KL after "
                 "training", 4, visibility=AFTER_DUE_DATE),
        ),
    ),
)
ALL_PARTS = RUBRIC + EXTRA_PARTS


def parts(ids=None, rubric=RUBRIC):
    """The parts of `rubric` with the given ids, in rubric order (all when `ids` is empty).

    Raises:
        ValueError: for an unknown id, listing the known ones.
    """
    known = [part.id for part in rubric]
    unknown = [part_id for part_id in ids or () if part_id not in known]
    if unknown:
        raise ValueError(f"Unknown part {', '.join(unknown)}; choose from {', '.join(known)}.")
    return tuple(part for part in rubric if not ids or part.id in ids)


def earlier_dependencies(parts, index):
    """Indices of the parts before `parts[index]` that have checks it depends on."""
    wanted = {dependency for item in parts[index].checks for dependency in item.depends}
    return [earlier for earlier in range(index)
            if wanted & {item.id for item in parts[earlier].checks}]


def lane_order(parts):
    """The order in which `parts` graded side by side are started, longest `time_limit` first.

    The parts left for the end are then the short ones, and the lanes end
    close together (a longest-first schedule). A part whose checks depend on
    checks of an earlier part of `parts` is started after that part; equal
    limits keep the rubric's order.
    """
    ordered = []

    def place(index):
        if parts[index] in ordered:
            return
        for earlier in earlier_dependencies(parts, index):
            place(earlier)
        ordered.append(parts[index])

    for index in sorted(range(len(parts)), key=lambda index: -parts[index].time_limit):
        place(index)
    return tuple(ordered)


def all_checks(rubric=ALL_PARTS):
    """Every check of `rubric` (default: of every part a course may assign), as id -> `Item`."""
    return {check.id: check for part in rubric for check in part.checks}


def max_score(include_bonus=False, rubric=RUBRIC):
    """Total points of `rubric`: 100 without the bonus for the default one."""
    return sum(part.points for part in rubric if include_bonus or not part.bonus)
