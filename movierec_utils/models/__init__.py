"""Recommenders sharing one interface (:class:`~movierec_utils.models.base.Recommender`).

``MODELS`` maps a short name to a class; each class's defaults are the configuration the
notebooks report, so ``MODELS[name](seed=s).fit(train, valid)`` reproduces a reported model.
The neural models (and so TensorFlow) are imported when first asked for: the NumPy baselines
load without TensorFlow.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping

from movierec_utils.models.base import NotFittedError, Recommender, check_setting
from movierec_utils.models.baselines import EASE, Popularity, Random

#: class name → the module (exported from notebooks 01–03) that defines it
_NEURAL = {"TwoTower": "two_tower", "LightGCN": "lightgcn", "DeepRecommender": "dnn"}


def __getattr__(name: str):
    if name in _NEURAL:
        return getattr(importlib.import_module(f"{__name__}.{_NEURAL[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Models(Mapping):
    """Short name → class; a neural model's module is imported on first access."""

    _classes = {"random": "Random", "popularity": "Popularity", "ease": "EASE",
                "two_tower": "TwoTower", "gnn": "LightGCN", "dnn": "DeepRecommender"}

    def __getitem__(self, name: str):
        if name not in self._classes:
            raise KeyError(f"no model named {name!r}; the models are {', '.join(self._classes)}")
        class_name = self._classes[name]
        return globals()[class_name] if class_name in globals() else __getattr__(class_name)

    def __iter__(self):
        return iter(self._classes)

    def __len__(self) -> int:
        return len(self._classes)

    def __repr__(self) -> str:
        return f"MODELS({', '.join(self._classes)})"


MODELS = _Models()

__all__ = ["MODELS", "DeepRecommender", "EASE", "LightGCN", "NotFittedError", "Popularity",
           "Random", "Recommender", "TwoTower", "check_setting"]
