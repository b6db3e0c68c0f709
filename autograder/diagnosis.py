"""The catalogue of classic mistakes that the checks recognise and name.

A check that finds a wrong value compares it with the values that known
mistakes give (computed in the grading process, see `autograder.checks`); when
one matches, its `Outcome.diagnosis` is the mistake's id and its feedback
names the mistake and says how to fix it. Each id has a mutant in
`tests/fixtures/mutants/` (a small patch of the reference solution) that the
tests grade to make sure the right check fails with this mistake's name.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A classic mistake.

    Attributes:
        name: what the mistake is, in a few words, shown to students.
        explanation: why it is wrong and how to fix it.
    """

    name: str
    explanation: str


MISTAKES = {
    # --- Part 1: transposed convolution --------------------------------------------------------
    "conv_transpose_flipped_kernel": Mistake(
        "Transposed convolution with a flipped kernel",
        "Keras's Conv2DTranspose paints the kernel as it is: input cell (i, j) adds "
        "x[i, j] * kernel to the output window whose top-left corner is (i * stride, j * stride). "
        "Do not rotate the kernel by 180 degrees (kernel[::-1, ::-1]); that flip belongs to the "
        "zero-insertion view of the same operation, not to the painting view.",
    ),
    "conv_transpose_same_crop_side": Mistake(
        "The 'same' crop on the wrong side",
        "With padding='same', cut the painted array to the output length by dropping "
        "(painted - output) // 2 rows/columns at the top/left and the rest (the larger half) at "
        "the bottom/right. With a 2x2 kernel and stride 1 the output keeps the top-left corner: "
        "[[0, 4], [8, 28]] in the lecture's example.",
    ),
    "conv_transpose_valid_length": Mistake(
        "The 'valid' output length ignores a stride larger than the kernel",
        "Without output_padding, 'valid' gives (n - 1) * s + max(k, s), not (n - 1) * s + k: "
        "when the stride is larger than the kernel, the copies are still placed s cells apart and "
        "the last one is followed by s - k empty cells.",
    ),
    "conv_transpose_output_padding_length": Mistake(
        "Wrong output length with output_padding",
        "With output_padding p the length is the painted length minus the crop plus p: "
        "(n - 1) * s + k + p for 'valid' and (n - 1) * s + k - 2 * (k // 2) + p for 'same' "
        "(not the length without output_padding plus p).",
    ),
    "conv_transpose_channel_layout": Mistake(
        "Kernel channels read in the wrong order",
        "Keras stores a Conv2DTranspose kernel as (kh, kw, C_out, C_in): the output channels "
        "come first, the input channels last (the reverse of Conv2D). Contract the input's "
        "channels with the kernel's last axis, e.g. np.einsum('nc,hwoc->nhwo', ...).",
    ),
    # --- Part 2: autoencoders ------------------------------------------------------------------
    "decoder_upsampling_without_conv_transpose": Mistake(
        "Decoder upsampling without Conv2DTranspose",
        "The decoder must learn its upsampling: go from 7x7 to 14x14 to 28x28 with "
        "Conv2DTranspose(filters, 3, strides=2, padding='same') layers, not with UpSampling2D, "
        "Resizing or an image resize followed by Conv2D.",
    ),
    "decoder_output_outside_unit_interval": Mistake(
        "Decoder output not in [0, 1]",
        "Pixels lie in [0, 1], so the decoder's last layer needs activation='sigmoid'.",
    ),
    "denoising_noise_at_inference": Mistake(
        "Denoising autoencoder adds noise at inference",
        "Corrupt the input only when call gets training=True (model.fit passes it); with "
        "training=False (predict, evaluate, model(x)) reconstruct the input as it is.",
    ),
    "denoising_noise_never_added": Mistake(
        "Denoising autoencoder never adds noise",
        "In training, reconstruct from the corrupted input: assign the result back, "
        "x = ops.clip(x + noise_stddev * noise, 0.0, 1.0), before calling the encoder; "
        "otherwise the model is a plain autoencoder.",
    ),
    "denoising_same_noise_every_call": Mistake(
        "Denoising autoencoder adds the same noise at every training step",
        "Draw the noise with keras.random.normal(ops.shape(x), seed=self.seed_generator): the "
        "SeedGenerator gives fresh noise at every call, whereas an int seed repeats the same "
        "noise, which the model can learn to subtract.",
    ),
    "pca_without_centring": Mistake(
        "PCA without centring",
        "Subtract the mean image before the SVD: x_c = x - x.mean(axis=0). Without centring, "
        "the first direction points at the mean image instead of along the largest variance, and "
        "the explained-variance ratios are wrong.",
    ),
    "pca_ratio_over_top_k": Mistake(
        "Explained variance divided by the top-k variance only",
        "The ratio of component i is S_i**2 / sum_j S_j**2 over ALL singular values, so that it "
        "is the share of the total variance; dividing by the top k alone makes the ratios sum "
        "to 1 whatever k is.",
    ),
    "pca_ratio_of_singular_values": Mistake(
        "Explained variance from the singular values instead of their squares",
        "A component's variance is S_i**2 / (N - 1): square the singular values before taking "
        "the ratios, S_i**2 / sum_j S_j**2.",
    ),
    # --- Part 3: the VAE ---------------------------------------------------------------------
    "vae_sampling_exp_log_var": Mistake(
        "Sampling with exp(log σ²) instead of exp(½ log σ²)",
        "z_log_var is log σ², so exp(z_log_var) is the variance σ², not the standard "
        "deviation. Use z = z_mean + exp(0.5 * z_log_var) * eps.",
    ),
    "vae_sampler_ignores_variance": Mistake(
        "The sampler ignores the variance",
        "z must be z_mean + exp(0.5 * z_log_var) * eps: scale the noise eps by the standard "
        "deviation given by z_log_var (and do add the noise).",
    ),
    "vae_sampler_blocks_gradients": Mistake(
        "The sampler blocks gradients",
        "The reparameterization trick exists so that gradients reach z_mean and z_log_var. "
        "Compute z with keras.ops on the input tensors, without stop_gradient, NumPy "
        "conversions or tf.constant.",
    ),
    "vae_sampler_reuses_noise": Mistake(
        "The sampler reuses the same noise every call",
        "eps must be new at every call, also inside a compiled train_step. Draw it with "
        "keras.random.normal(ops.shape(z_mean), seed=self.seed_generator), where "
        "self.seed_generator = keras.random.SeedGenerator(seed) is created once in __init__; an "
        "int seed, or NumPy noise, gives the same eps every time.",
    ),
    "vae_sampler_ignores_seed": Mistake(
        "The sampler ignores its seed",
        "Two Sampling(seed=s) layers must draw the same noise: create "
        "keras.random.SeedGenerator(seed) with the layer's seed.",
    ),
    "vae_kl_log_sigma": Mistake(
        "KL with log σ instead of log σ²",
        "The encoder predicts the log-variance log σ², so σ² = exp(z_log_var) and the log term "
        "is z_log_var itself: KL = 0.5 * sum(mu² + exp(z_log_var) - z_log_var - 1).",
    ),
    "vae_kl_missing_half": Mistake(
        "KL missing the factor ½",
        "KL = 0.5 * sum(mu² + exp(z_log_var) - z_log_var - 1): keep the 0.5.",
    ),
    "vae_kl_mean_over_latent": Mistake(
        "KL averaged instead of summed over the latent dimensions",
        "The KL of a diagonal Gaussian is the sum of the KLs of its dimensions: use "
        "ops.sum(..., axis=-1), not ops.mean.",
    ),
    "vae_kl_sign_error": Mistake(
        "KL sign error",
        "KL = 0.5 * sum(mu² + exp(z_log_var) - z_log_var - 1) is never negative; equivalently "
        "-0.5 * sum(1 + z_log_var - mu² - exp(z_log_var)). Check the sign of each term.",
    ),
    "vae_reconstruction_averaged_over_pixels": Mistake(
        "Reconstruction loss averaged over pixels",
        "Sum the binary cross-entropy over the 784 pixels of each image: the mean is 784 times "
        "smaller, so the KL term dominates and the VAE ignores its input (posterior collapse).",
    ),
    "vae_reconstruction_arguments_swapped": Mistake(
        "Reconstruction loss with its arguments swapped",
        "The target comes first: binary_crossentropy(x, x_hat), with the images x as targets "
        "and the reconstructions x_hat as predicted probabilities.",
    ),
    "vae_shared_head": Mistake(
        "One head used for both the mean and the log-variance",
        "Create two separate Dense(latent_dim) layers, one for z_mean and one for z_log_var, "
        "and apply each to the trunk's output.",
    ),
    "vae_kl_not_added": Mistake(
        "KL never added with add_loss",
        "call must register the regularizer with self.add_loss(self.beta * mean KL), so that it "
        "appears in self.losses and train_step minimises it.",
    ),
    "vae_beta_ignored": Mistake(
        "β ignored",
        "The KL term added with add_loss must be weighted: self.add_loss(self.beta * kl).",
    ),
    "vae_kl_summed_over_batch": Mistake(
        "KL summed over the batch instead of averaged",
        "Add beta times the batch mean of kl_divergence, ops.mean(...), so that the KL is on "
        "the same per-image scale as the mean reconstruction loss.",
    ),
    "vae_kl_loss_weighted_by_beta": Mistake(
        "kl_loss reported weighted by β",
        "Record the unweighted batch-mean KL in kl_loss_tracker, so that the KL can be compared "
        "across values of β (even β = 0); only the term given to add_loss is weighted.",
    ),
    "vae_train_step_ignores_losses": Mistake(
        "train_step ignores self.losses",
        "A custom train_step gets no loss for free: the total loss must be the mean "
        "reconstruction loss + ops.sum(self.losses), computed inside the GradientTape, so that "
        "everything added with add_loss (the KL, the quantizer's losses, ...) is minimised.",
    ),
    # --- Part 4: the conditional VAE -----------------------------------------------------------
    "vae_call_decodes_mean": Mistake(
        "call decodes z_mean: the sampling layer is never used",
        "A VAE reconstructs from a code sampled with the reparameterization trick, "
        "z = self.sampling([z_mean, z_log_var]); decoding z_mean itself trains an ordinary "
        "autoencoder whose KL term only shrinks the codes.",
    ),
    "vae_forward_pass_outside_tape": Mistake(
        "The forward pass runs outside the GradientTape",
        "The tape records only what runs inside its `with` block: call self(inputs, "
        "training=True) and compute the losses inside `with tf.GradientTape() as tape:`, then "
        "take tape.gradient(total_loss, self.trainable_weights) after it. Otherwise Keras "
        "finds no gradient for any weight (\"No gradients provided for any variable\").",
    ),
    "vae_sample_wrong_prior": Mistake(
        "sample draws its codes from another distribution than the prior N(0, I)",
        "A VAE is trained to make the codes of real images look like draws from N(0, I), so new "
        "images come from decoding such draws: draw_prior must return "
        "keras.random.normal((n, latent_dim), seed=...), not uniform noise, scaled noise or "
        "encodings of data.",
    ),
    "cvae_encoder_ignores_label": Mistake(
        "The encoder ignores the label",
        "encode((x, labels)) must give the one-hot labels to the encoder: broadcast them to "
        "(N, 28, 28, num_classes) and concatenate them to x on the channel axis.",
    ),
    "cvae_decoder_ignores_label": Mistake(
        "The decoder ignores the label",
        "decode((z, labels)) must give the decoder z and the one-hot labels concatenated on the "
        "last axis, (N, latent_dim + num_classes).",
    ),
    "cvae_sample_ignores_labels": Mistake(
        "sample ignores the requested labels",
        "sample(labels) must decode its prior draws together with the given labels: "
        "self.decode((z, labels)).",
    ),
    # --- Part 5: the VQ-VAE --------------------------------------------------------------------
    "vqvae_dot_product": Mistake(
        "Nearest codeword by largest dot product instead of smallest distance",
        "The nearest codeword minimises ||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2; the dot product "
        "alone favours long codewords. Take the argmin of the full squared distance.",
    ),
    "vqvae_distance_sign": Mistake(
        "Sign error in the squared distance",
        "||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2: the cross term is subtracted.",
    ),
    "vqvae_no_straight_through": Mistake(
        "No straight-through gradient",
        "argmin has no gradient, so returning z_q cuts the encoder off from the reconstruction "
        "loss. Return z_e + stop_gradient(z_q - z_e): z_q in the forward pass, the identity in "
        "the backward pass.",
    ),
    "vqvae_losses_swapped": Mistake(
        "Codebook and commitment losses swapped",
        "The codebook loss mean((sg[z_e] - z_q)^2) trains the codebook with weight 1; the "
        "commitment loss beta * mean((z_e - sg[z_q])^2) trains the encoder with weight beta.",
    ),
    # --- Optional part: the sparse autoencoder -------------------------------------------------
    "sparse_l2_instead_of_l1": Mistake(
        "An L2 penalty instead of L1 on the code",
        "The sparsity penalty is l1 * mean over the batch of sum_i |z_i| (ops.abs), not of z_i^2: "
        "the gradient of z^2 fades as z shrinks, so an L2 penalty makes every unit small and "
        "none of them 0; the gradient of |z| keeps pulling a unit until it is 0.",
    ),
    "sparse_penalty_on_weights": Mistake(
        "The penalty on the weights instead of the code",
        "A sparse autoencoder penalises its activations, the code z = self.encode(x) of the "
        "batch (data-dependent sparsity), not a kernel: add sparsity_penalty(z, self.l1) with "
        "self.add_loss in call. A penalty on the weights is the same for every batch and makes "
        "the weights sparse, not the codes.",
    ),
    "sparse_penalty_summed_over_batch": Mistake(
        "The penalty summed over the batch instead of averaged",
        "Average the per-example L1 norms over the batch (ops.mean), as the mean squared error "
        "it is added to is averaged: a sum makes the penalty, and so the meaning of l1, grow "
        "with the batch size.",
    ),
    # --- Optional part: the masked autoencoder -------------------------------------------------
    "masked_loss_on_visible_pixels": Mistake(
        "The loss on the visible pixels instead of the hidden ones",
        "masked_reconstruction_loss averages the squared error over the pixels where mask is 1, "
        "the hidden ones: sum(mask * (x - x_hat)^2) / sum(mask). The visible pixels are in the "
        "model's input; a loss on them only teaches it to copy, never to complete.",
    ),
    "masked_loss_on_all_pixels": Mistake(
        "The loss on every pixel instead of the hidden ones",
        "Weigh the squared errors by mask and divide by sum(mask): a mean over all pixels spends "
        "most of the gradient on copying the visible pixels, which the model already sees.",
    ),
    "masked_same_mask_every_step": Mistake(
        "The same mask at every training step",
        "Draw the noise with keras.random.uniform(..., seed=self.seed_generator): an int seed "
        "(or NumPy noise drawn once) hides the same patches at every call, so the model only "
        "ever learns to complete those.",
    ),
    "masked_mask_at_inference": Mistake(
        "Masking at inference",
        "Without a mask, call draws one only when training is True: at inference the model sees "
        "the whole image (and completes exactly the mask it is given, when it is given one).",
    ),
    # --- Optional part: the Gaussian decoder ---------------------------------------------------
    "gaussian_one_over_c": Mistake(
        "C = 1/c instead of 1/(2c)",
        "The Gaussian log-density is -||x - x_hat||^2 / (2c) plus a constant: divide the summed "
        "squared error by 2 * variance. Without the 2 the reconstruction weighs twice as much "
        "against the KL, as if the variance were c / 2.",
    ),
    "gaussian_mean_over_pixels": Mistake(
        "The squared error averaged over the pixels instead of summed",
        "The negative log-likelihood of an image is a sum over its pixels, on the KL's scale: "
        "sum the squared error over every pixel of each image (as the cross-entropy is summed), "
        "then divide by 2 * variance. A mean makes the KL outweigh it 784 times.",
    ),
    "gaussian_variance_as_std": Mistake(
        "The variance used as a standard deviation",
        "variance is c = sigma^2 already: the loss is ||x - x_hat||^2 / (2 * variance), not "
        "divided by 2 * variance^2.",
    ),
}
