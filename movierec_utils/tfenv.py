"""Import TensorFlow and TensorFlow Recommenders once, quietly: ``from movierec_utils.tfenv
import tf, tfrs``.

TensorFlow prints start-up lines (absl pre-initialisation notices, CUDA probing) straight to the
process's file descriptor 2, where ``TF_CPP_MIN_LOG_LEVEL`` cannot reach them.  We point fd 2 at
/dev/null for the duration of the import and the first device query, then restore it, so real
errors raised later are still shown.
"""
import contextlib
import os
import sys

import movierec_utils  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)


@contextlib.contextmanager
def _silenced_stderr_fd():
    fd = 2  # the C-level stderr, which is where TensorFlow's C++ logging writes
    try:
        sys.stderr.flush()
        saved = os.dup(fd)
    except OSError:  # no fd 2 at all (some embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def _import_tensorflow():
    with _silenced_stderr_fd():
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        tf.constant(0.0).numpy()  # creating the eager context probes CUDA, which logs without a GPU
        import tensorflow_recommenders as tfrs
    return tf, tfrs


tf, tfrs = _import_tensorflow()
