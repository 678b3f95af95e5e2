"""The shared model interface, through the baselines."""
import numpy as np
import pandas as pd
import pytest

from movierec_utils.models import EASE, MODELS, NotFittedError, Popularity, Random
from movierec_utils.splits import stratified_split
from tests.conftest import assert_distinct_unseen, requires_tfds

BASELINES = [Random, Popularity, EASE]


@pytest.mark.parametrize("model_class", BASELINES)
def test_recommend_returns_k_distinct_unseen_movies(synthetic, model_class):
    model = model_class(seed=0).fit(synthetic)
    recs = model.recommend(["1", "2"], k=5)
    assert list(recs.columns) == ["user_id", "rank", "movie_id", "movie_title", "score"]
    assert_distinct_unseen(recs, synthetic)
    for _, group in recs.groupby("user_id"):
        assert group["rank"].tolist() == [1, 2, 3, 4, 5]
        assert group["score"].is_monotonic_decreasing


@pytest.mark.parametrize("model_class", BASELINES)
def test_same_seed_same_recommendations(synthetic, model_class):
    first = model_class(seed=4).fit(synthetic).recommend(["3", "4"], k=5)
    again = model_class(seed=4).fit(synthetic).recommend(["3", "4"], k=5)
    pd.testing.assert_frame_equal(first, again)


@pytest.mark.parametrize("model_class", BASELINES)
def test_bad_input_gives_clear_errors(synthetic, model_class):
    with pytest.raises(NotFittedError, match="call .fit"):
        model_class().recommend(["1"])
    model = model_class().fit(synthetic)
    with pytest.raises(KeyError, match="unknown user id '9999'"):
        model.recommend(["1", "9999"])
    with pytest.raises(ValueError, match="k must be a positive"):
        model.recommend(["1"], k=0)
    with pytest.raises(ValueError, match="lacks the column"):
        model_class().fit(synthetic.drop(columns="movie_id"))


def test_integer_user_ids_are_accepted_as_strings(synthetic):
    model = Popularity().fit(synthetic)
    pd.testing.assert_frame_equal(model.recommend([1]), model.recommend(["1"]))


def test_k_beyond_the_catalogue_is_capped_at_it(synthetic):
    model = Popularity().fit(synthetic)
    assert model.recommend([], k=10**12).empty  # allocated 10**12 ranks before
    recs = model.recommend(["1"], k=10**12)
    n_unseen = len(model.items_) - (synthetic["user_id"] == "1").sum()
    assert recs["rank"].tolist() == list(range(1, n_unseen + 1))


def test_integer_ids_in_test_ratings_are_evaluated_as_strings(synthetic):
    train, test = stratified_split(synthetic, ratio=0.75, seed=0)
    model = Popularity().fit(train)
    integer_test = test.astype({"user_id": int, "movie_id": int})
    assert model.evaluate(integer_test) == model.evaluate(test)


def test_exclude_seen_false_allows_rated_movies(synthetic):
    model = Popularity().fit(synthetic)
    top = model.recommend("1", k=1, exclude_seen=False)["movie_id"].item()
    assert top == synthetic["movie_id"].value_counts().index[0]


def test_popularity_ranks_by_training_counts(synthetic):
    model = Popularity().fit(synthetic)
    counts = synthetic["movie_id"].value_counts()
    scores = model.score(["1"])[0]
    assert dict(zip(model.items_.ids, scores)) == {m: float(c) for m, c in counts.items()}


def test_ease_matches_its_closed_form(synthetic):
    model = EASE(l2=10.0).fit(synthetic)
    x = model.seen_.toarray()
    p = np.linalg.inv(x.T @ x + 10.0 * np.eye(x.shape[1]))
    b = np.eye(x.shape[1]) - p / np.diag(p)
    np.testing.assert_allclose(model.score(list(model.users_.ids)), x @ b, atol=1e-8)


def test_ease_auto_needs_validation(synthetic):
    with pytest.raises(ValueError, match="valid="):
        EASE(l2="auto").fit(synthetic)
    train, valid = stratified_split(synthetic, ratio=0.8)
    model = EASE(l2="auto", l2_grid=(1, 10, 100)).fit(train, valid)
    assert model.l2_ in (1, 10, 100) and len(model.history_) == 3


def test_registry_names_match_classes():
    for name, model_class in MODELS.items():
        assert model_class.name == name


@requires_tfds
def test_popularity_on_movielens_reproduces_the_reported_baseline(movielens):
    """The figure the notebooks quote: popularity, stratified_split(0.75, seed=42)."""
    train, test = stratified_split(movielens, ratio=0.75, seed=42)
    result = Popularity().fit(train).evaluate(test)
    assert result["ndcg@10"] == pytest.approx(0.2523, abs=5e-4)
    assert result["precision@10"] == pytest.approx(0.2258, abs=5e-4)
    random = Random(seed=42).fit(train).evaluate(test)
    assert random["ndcg@10"] < 0.05
