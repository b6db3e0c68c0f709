"""What the course hands out and runs: data, training and figures for any implementation."""

import os

# TensorFlow prints start-up chatter (oneDNN, CUDA probing) at INFO level; keep
# the terminal for what matters. Set TF_CPP_MIN_LOG_LEVEL=0 to see it again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
