"""Ids as matrix positions, for plain and categorical (compact) id columns alike."""
import numpy as np
import pandas as pd
import pytest

from movierec_utils import data, evaluation
from movierec_utils.interactions import IdIndex, UnknownIdError, as_ids, interaction_matrix
from movierec_utils.models import Popularity
from movierec_utils.splits import stratified_split
from tests.conftest import make_ratings


def test_categorical_ids_index_like_their_strings():
    ids = ["7", "55", "100", "55", "7"]
    categorical = pd.Categorical(ids, categories=["100", "55", "7", "999"])  # 999: unused
    index = IdIndex(pd.Series(categorical))
    assert index.ids.tolist() == IdIndex(ids).ids.tolist() == ["100", "55", "7"]
    assert index.codes(categorical).tolist() == IdIndex(ids).codes(ids).tolist()
    unknown = pd.Categorical(["55", "8", None], categories=["55", "8"])
    assert index.codes(unknown, strict=False).tolist() == [1, -1, -1]
    with pytest.raises(UnknownIdError, match="unknown id '8'"):
        index.codes(pd.Categorical(["55", "8"]))


def test_as_ids_keeps_categoricals_categorical_with_string_categories():
    converted = as_ids(pd.Series(pd.Categorical([55, 7, 55])))
    assert isinstance(converted, pd.Categorical)
    assert list(converted) == ["55", "7", "55"]
    mixed = pd.Series(pd.Categorical([55, "55"], categories=[55, "55"]))  # one id, two spellings
    assert as_ids(mixed).tolist() == ["55", "55"] and isinstance(as_ids(mixed), np.ndarray)


def test_compact_ids_give_the_same_matrices_and_metrics():
    plain = make_ratings()
    compact = data._with_dtypes(plain.copy(), compact=True)
    users, items = IdIndex(plain["user_id"]), IdIndex(plain["movie_id"])
    assert (interaction_matrix(compact, users, items) != interaction_matrix(plain, users, items)
            ).nnz == 0
    results = []
    for frame in (plain, compact):
        train, test = stratified_split(frame, ratio=0.75, seed=0)
        model = Popularity().fit(train)
        recs = model.recommend(list(model.users_.ids), k=10)
        results.append((model.evaluate(test), evaluation.evaluate_ranking(recs, test, k=10)))
    assert results[0] == results[1]
