"""movierec_utils — the shared code behind the movierec notebooks.

Import this package *before* TensorFlow: tensorflow-recommenders 0.7 needs the Keras 2 API
(``tf-keras``), which TensorFlow only selects when ``TF_USE_LEGACY_KERAS=1`` is set before its
first import.  Nothing heavy is imported here, so ``import movierec_utils`` is instant and quiet;
TensorFlow is loaded (with its start-up log silenced) the first time a module needs it.
"""
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
# Hide TensorFlow's C++ INFO/WARNING lines (oneDNN notices, CUDA probing) on a CPU machine.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Same numbers on every machine: oneDNN (TensorFlow's CPU kernels) picks its instruction set
# when it starts, and its kernels for different instruction sets round differently, so a model
# with Dense layers trains to other numbers on an AVX-512 machine than with AVX2 (measured: the
# original deep recipe's validation NDCG@10 0.0179 vs 0.0146, same seed). Every x86-64 machine
# of this project has AVX2: capped there, all run the same kernels.
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")

if "tensorflow" in sys.modules and "tf_keras" not in sys.modules:
    import warnings

    warnings.warn(
        "TensorFlow was imported before movierec_utils, so TF_USE_LEGACY_KERAS came too late and "
        "tensorflow-recommenders may fail with Keras 3. Restart the kernel and import "
        "movierec_utils first.",
        RuntimeWarning,
        stacklevel=2,
    )

__version__ = "0.1.0"
