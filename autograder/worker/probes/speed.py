"""The machine's speed: a fixed piece of Keras training, timed in a worker like any probe.

It runs where the probes of the assignment run (a worker forked from the
zygote, with the thread pools sized for the grading machine's CPU quota), so
its time compares machines as the assignment's training compares them.
"""

import time

import keras
import numpy as np

from autograder.worker.probes import probe

IMAGES = 512
EPOCHS = 2


@probe("speed.benchmark")
def benchmark(impl):
    """Builds and trains a small convolutional autoencoder on fixed data; returns `{"seconds"}`.

    Graph tracing is timed too: it is a good part of what a probe costs.
    """
    x = np.random.default_rng(0).random((IMAGES, 28, 28, 1), dtype=np.float32)
    started = time.perf_counter()
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, x, batch_size=64, epochs=EPOCHS, verbose=0)
    return {"seconds": time.perf_counter() - started}
