"""What a model added with `add_loss`, read as plain numbers."""

import numpy as np

from autograder.worker.probes.tensors import as_array


def added_losses(model):
    """The number of entries of `model.losses`, their shapes and the sum of all their values."""
    values = [as_array(loss, "an entry of model.losses") for loss in model.losses]
    return {
        "loss_count": len(values),
        "loss_shapes": [list(value.shape) for value in values],
        "loss_total": float(sum(np.sum(value, dtype=np.float64) for value in values)),
    }
