"""Loss pieces shared by the TensorFlow models (two-tower, LightGCN, deep model)."""
from __future__ import annotations

from movierec_utils.tfenv import tf


def catalogue_softmax_loss(logits, targets):
    """Full softmax over the whole catalogue, one row per user.

    ``targets`` is the users' multi-hot training movies. Summing the per-rating cross-entropy
    ``-log softmax(logits)[i]`` over a user's ratings gives ``-Σ_i x_ui log softmax(logits)_i``;
    dividing by the number of ratings in the batch makes it the mean per rating.
    """
    return -tf.reduce_sum(targets * tf.nn.log_softmax(logits)) / tf.reduce_sum(targets)


def mean_squared_norm(embeddings):
    """L2 penalty on the embeddings *used in a step* (not the whole table): with Adam, a
    whole-table penalty would shrink every absent user at full learning-rate speed."""
    return tf.reduce_mean(tf.reduce_sum(tf.square(embeddings), axis=1))
