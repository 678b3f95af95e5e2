"""Recommenders sharing one interface (:class:`~movierec_utils.models.base.Recommender`).

``MODELS`` maps a short name to a class; each class's defaults are the configuration the
notebooks report, so ``MODELS[name](seed=s).fit(train, valid)`` reproduces a reported model.
"""
from movierec_utils.models.base import NotFittedError, Recommender
from movierec_utils.models.baselines import EASE, Popularity, Random
from movierec_utils.models.dnn import DeepRecommender
from movierec_utils.models.lightgcn import LightGCN
from movierec_utils.models.two_tower import TwoTower

MODELS = {
    "random": Random,
    "popularity": Popularity,
    "ease": EASE,
    "two_tower": TwoTower,
    "gnn": LightGCN,
    "dnn": DeepRecommender,
}

__all__ = ["MODELS", "DeepRecommender", "EASE", "LightGCN", "NotFittedError", "Popularity", "Random", "Recommender", "TwoTower"]
