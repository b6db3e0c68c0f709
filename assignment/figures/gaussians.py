"""The KL term in one dimension: two Gaussians against the prior N(0, 1)."""

import numpy as np

from assignment.figures import style

# (mean, standard deviation) of the Gaussians compared with the prior.
GAUSSIANS = ((1.0, 1.0), (0.0, 1.5))


def normal_density(x, mean, std):
    """Density of N(mean, std²) at `x`."""
    return np.exp(-0.5 * np.square((x - mean) / std)) / (std * np.sqrt(2.0 * np.pi))


def kl_to_prior(impl, mean, std):
    """KL(N(mean, std²) ‖ N(0, 1)) in nats, computed by the implementation's `kl_divergence`."""
    z_mean = np.array([[mean]], dtype="float32")
    z_log_var = np.array([[2.0 * np.log(std)]], dtype="float32")
    return float(np.asarray(impl.vae.kl_divergence(z_mean, z_log_var))[0])


def draw_gaussians(ctx, out_path):
    """Densities of N(1, 1) and N(0, 1.5²) against the prior, with their KL to it."""
    x = np.linspace(-5.0, 5.0, 501)
    figure, ax = style.subplots(figsize=(8, 4.5))
    ax.fill_between(x, normal_density(x, 0.0, 1.0), color="0.85", label="prior N(0, 1)")
    for (mean, std), color in zip(GAUSSIANS, ("tab:blue", "tab:orange")):
        kl = kl_to_prior(ctx.impl, mean, std)
        variance = f"{std:g}²" if std != 1 else "1"
        ax.plot(x, normal_density(x, mean, std), color=color, linewidth=2.5,
                label=f"N({mean:g}, {variance}): KL to the prior = {kl:.3f} nats")
    ax.set_xlabel("z")
    ax.set_ylabel("density")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    ax.set_title(
        "KL(N(μ, σ²) ‖ N(0, 1)) = ½ (μ² + σ² − log σ² − 1): a shifted mean and a wider\n"
        "spread both cost nats (computed with the implementation's kl_divergence)"
    )
    ctx.save(figure, out_path)
