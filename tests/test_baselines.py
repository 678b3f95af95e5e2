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
    with pytest.raises(ValueError, match=r"k must be a whole number ≥ 1; got 0 \(int\)"):
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


# --------------------------------------------------------------------------- EASE's memory
def test_ease_refuses_a_movielens_25m_sized_catalogue_at_once_and_names_the_way_out():
    """59,047 movies would need 111 GB: fit must fail before allocating, naming max_items."""
    n_movies = 59_047
    train = pd.DataFrame({"user_id": (np.arange(n_movies) % 100).astype(str),
                          "movie_id": np.arange(n_movies).astype(str)})
    with pytest.raises(MemoryError, match=r"EASE on 59,047 movies needs about 103\.9 GiB .* "
                                          r"over max_bytes=8\.0 GiB\. Pass max_items=N .*"
                                          r"max_items=16,384 fits"):
        EASE().fit(train)


def test_ease_budget_is_a_constructor_argument(synthetic):
    n_movies = synthetic["movie_id"].nunique()
    with pytest.raises(MemoryError, match=f"EASE on {n_movies} movies"):
        EASE(max_bytes=n_movies ** 2 * 31).fit(synthetic)
    EASE(max_bytes=n_movies ** 2 * 32).fit(synthetic)
    for bad in ({"max_items": 0}, {"max_items": 2.5}, {"max_bytes": 0}):
        with pytest.raises(ValueError, match="must be"):
            EASE(**bad)


def test_ease_max_items_models_the_most_rated_movies_and_never_recommends_the_rest(synthetic):
    model = EASE(l2=10.0, max_items=12).fit(synthetic)
    counts = synthetic["movie_id"].value_counts()
    modelled = set(model.items_.ids[model.modelled_])
    assert len(modelled) == 12 and min(counts[list(modelled)]) >= counts.drop(list(modelled)).max()
    scores = model.score(list(model.users_.ids))
    assert np.isneginf(np.delete(scores, model.modelled_, axis=1)).all()
    x = model.seen_.toarray()[:, model.modelled_]
    p = np.linalg.inv(x.T @ x + 10.0 * np.eye(12))
    np.testing.assert_allclose(scores[:, model.modelled_], x @ (np.eye(12) - p / np.diag(p)),
                               atol=1e-8)
    recs = model.recommend(list(model.users_.ids), k=10)
    assert set(recs["movie_id"]) <= modelled and np.isfinite(recs["score"]).all()
    train, test = stratified_split(synthetic, ratio=0.75, seed=0)
    restricted = EASE(l2=10.0, max_items=12).fit(train).evaluate(test)
    assert restricted["coverage@10"] <= 12 / train["movie_id"].nunique()
    full = EASE(l2=10.0).fit(train)
    everything = EASE(l2=10.0, max_items=10**6).fit(train)
    assert everything.modelled_ is None
    np.testing.assert_array_equal(everything.weights_, full.weights_)


# --------------------------------------------------------------------------- settings (issue 24)
EASE_SETTINGS = {
    "l2=-800 (a worse model before)": ({"l2": -800}, r"l2 must be a finite number > 0 or 'auto'; got -800 \(int\)"),
    "l2=nan (0 rows before)": ({"l2": np.nan}, r"l2 must be a finite number > 0 or 'auto'; got nan"),
    "l2=0 (LinAlgError before)": ({"l2": 0}, r"l2 must be a finite number > 0 or 'auto'; got 0 \(int\)"),
    "l2=inf": ({"l2": np.inf}, r"l2 must be a finite number > 0 or 'auto'; got inf"),
    "l2='Auto'": ({"l2": "Auto"}, r"l2 must be a finite number > 0 or 'auto'; got 'Auto' \(str\)"),
    "l2=None": ({"l2": None}, r"l2 must be .*; got None"),
    "empty grid": ({"l2_grid": ()}, r"l2_grid must hold at least one λ \(finite, > 0\)"),
    "negative in grid": ({"l2_grid": (50, -1)}, r"l2_grid\[1\] must be a finite number > 0; got -1"),
    "nan in grid": ({"l2_grid": (np.nan,)}, r"l2_grid\[0\] must be a finite number > 0; got nan"),
    "grid a string": ({"l2_grid": "50"}, r"l2_grid must be a sequence of finite numbers > 0"),
    "max_items=0": ({"max_items": 0}, r"max_items must be a whole number ≥ 1 or None; got 0"),
    "max_items=2.5": ({"max_items": 2.5}, r"max_items must be a whole number ≥ 1 or None; got 2.5"),
    "max_bytes=0": ({"max_bytes": 0}, r"max_bytes must be a finite number > 0; got 0"),
    "max_bytes=nan": ({"max_bytes": np.nan}, r"max_bytes must be a finite number > 0; got nan"),
}


@pytest.mark.parametrize("settings, message", EASE_SETTINGS.values(), ids=EASE_SETTINGS)
def test_ease_settings_are_checked_when_the_model_is_built(settings, message):
    with pytest.raises(ValueError, match=message):
        EASE(**settings)


@pytest.mark.parametrize("model_class", BASELINES)
@pytest.mark.parametrize("seed", [-1, 2.5, "1", None, True])
def test_every_baseline_checks_its_seed(model_class, seed):
    with pytest.raises(ValueError, match=rf"seed must be a whole number in \[0, 4294967295\]; "
                                         rf"got {seed!r}"):
        model_class(seed=seed)


def test_ease_with_a_tiny_l2_names_the_setting_instead_of_a_bare_linalg_error(synthetic):
    # two movies always rated together: XᵀX is singular, and λ = 1e-300 is lost in rounding
    ratings = pd.concat([synthetic, synthetic.assign(movie_id="dup-" + synthetic["movie_id"])])
    with pytest.raises(ValueError, match=r"EASE cannot invert XᵀX \+ λI with l2=1e-300 .*use a "
                                         r"larger l2"):
        EASE(l2=1e-300).fit(ratings)


@pytest.mark.parametrize("bad, message", [({"k": 2.0}, r"k must be a whole number ≥ 1; got 2.0"),
                                          ({"exclude_seen": "no"},
                                           r"exclude_seen must be True or False; got 'no'")])
def test_recommend_checks_its_arguments(synthetic, bad, message):
    with pytest.raises(ValueError, match=message):
        Popularity().fit(synthetic).recommend(["1"], **bad)


def test_evaluate_checks_its_arguments(synthetic):
    model = Popularity().fit(synthetic)
    with pytest.raises(ValueError, match=r"k must be a whole number ≥ 1; got -1"):
        model.evaluate(synthetic, k=-1)
    with pytest.raises(ValueError, match=r"per_user must be True or False; got 1 \(int\)"):
        model.evaluate(synthetic, per_user=1)
    with pytest.raises(ValueError, match=r"k must be a whole number ≥ 1; got 0"):
        model.evaluate_new_users(synthetic, k=0)


def test_the_numpy_baselines_load_without_tensorflow():
    """Importing the baselines (and MODELS) must not start TensorFlow; asking for a neural model
    does. Run in a fresh interpreter, since this one may have TensorFlow loaded already."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from movierec_utils.models import MODELS, EASE\n"
            "assert MODELS['ease'] is EASE\n"
            "print('tensorflow' in sys.modules, end=' ')\n"
            "MODELS['gnn']\n"
            "print('tensorflow' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False True"
