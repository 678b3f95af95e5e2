"""One seed for everything: Python, NumPy and TensorFlow (with deterministic ops)."""
from __future__ import annotations

import os
import random

import numpy as np


def set_seed(seed: int = 42, deterministic_ops: bool = True) -> None:
    """Seed Python's ``random``, NumPy's global generator and TensorFlow.

    With ``deterministic_ops`` TensorFlow is asked for run-to-run reproducible kernels, so the
    same seed gives the same trained model, and therefore the same recommendations, on a machine.
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    from movierec_utils.tfenv import tf

    tf.keras.utils.set_random_seed(seed)
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
