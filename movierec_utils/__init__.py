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
