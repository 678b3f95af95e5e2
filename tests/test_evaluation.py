"""The evaluator, in the style of microsoft/recommenders' evaluation tests: perfect and empty
rankings, a hand-worked example with exact values, and agreement with a naive loop."""
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from movierec_utils import evaluation


def frame(recommendations: dict) -> pd.DataFrame:
    return pd.DataFrame([(user, movie, rank + 1) for user, movies in recommendations.items()
                         for rank, movie in enumerate(movies)],
                        columns=["user_id", "movie_id", "rank"])


def test_k_must_be_positive():
    test = pd.DataFrame({"user_id": ["a"], "movie_id": ["1"]})
    for bad, shown in ((0, r"0 \(int\)"), (-3, r"-3 \(int\)"), (2.5, r"2.5 \(float\)"),
                       (True, r"True \(bool\)"), ("10", r"'10' \(str\)"),
                       (np.nan, r"nan \(float\)")):
        message = rf"k must be a whole number ≥ 1; got {shown}"
        with pytest.raises(ValueError, match=message):
            evaluation.evaluate_ranking(frame({"a": ["1"]}), test, k=bad)
        with pytest.raises(ValueError, match=message):
            evaluation.evaluate_scores(np.ones((1, 2)), sp.csr_matrix(np.array([[1, 0]])), k=bad)
        with pytest.raises(ValueError, match=message):
            evaluation.top_k(np.ones((1, 2)), k=bad)
        with pytest.raises(ValueError, match=message):
            evaluation.top_k_categorical_accuracy(np.ones((1, 2)), [0], [1], k=bad)
    assert evaluation.check_k(np.int64(5)) == 5


def test_perfect_ranking_scores_one():
    test = pd.DataFrame({"user_id": ["a"] * 3 + ["b"] * 12,
                         "movie_id": [str(i) for i in range(3)] + [str(i) for i in range(12)]})
    recs = frame({"a": ["0", "1", "2", "x", "y"], "b": [str(i) for i in range(5)]})
    result = evaluation.evaluate_ranking(recs, test, k=5)
    for metric in ("ndcg@5", "map@5", "hit_rate@5", "mrr@5"):
        assert result[metric] == pytest.approx(1.0)
    assert result["recall@5"] == pytest.approx((1 + 5 / 12) / 2)


def test_no_hits_scores_zero():
    test = pd.DataFrame({"user_id": ["a", "b"], "movie_id": ["1", "2"]})
    with pytest.warns(UserWarning, match=r"none of the 3 recommended movie ids \('3', '4', '5', …\) "
                                         r"occurs among the 2 test movie ids"):
        result = evaluation.evaluate_ranking(frame({"a": ["3", "4"], "b": ["5"]}), test, k=2)
    for metric in evaluation.METRICS:
        assert result[f"{metric}@2"] == 0.0


def test_hand_worked_example_exact_values():
    # a: relevant {1,2,3}, hits at ranks 1 and 3; b: relevant {7}, hit at rank 5; c: no list.
    test = pd.DataFrame({"user_id": ["a", "a", "a", "b", "c", "c"],
                         "movie_id": ["1", "2", "3", "7", "12", "13"]})
    recs = frame({"a": ["1", "4", "2", "5", "6"], "b": ["8", "9", "10", "11", "7"]})
    result = evaluation.evaluate_ranking(recs, test, k=5, catalog_size=20)
    ndcg_a = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    ndcg_b = 1 / math.log2(6)
    expected = {
        "precision@5": (2 / 5 + 1 / 5 + 0) / 3,
        "recall@5": (2 / 3 + 1 + 0) / 3,
        "ndcg@5": (ndcg_a + ndcg_b) / 3,
        "map@5": ((1 + 2 / 3) / 3 + 1 / 5) / 3,
        "hit_rate@5": 2 / 3,
        "mrr@5": (1 + 1 / 5) / 3,
        "coverage@5": 10 / 20,
    }
    assert ndcg_a == pytest.approx(0.7039180890341347, abs=1e-15)
    for metric, value in expected.items():
        assert result[metric] == pytest.approx(value, abs=1e-12), metric
    assert result["n_users"] == 3


def test_ranks_beyond_k_are_ignored():
    test = pd.DataFrame({"user_id": ["a"], "movie_id": ["9"]})
    recs = frame({"a": ["1", "2", "9"]})
    with pytest.warns(UserWarning, match="none of the 2 recommended movie ids"):
        assert evaluation.evaluate_ranking(recs, test, k=2)["hit_rate@2"] == 0.0
    assert evaluation.evaluate_ranking(recs, test, k=3)["hit_rate@3"] == 1.0


def naive_metrics(scores, train, test, k):
    """One user at a time, straight from the definitions."""
    per_user = {name: [] for name in evaluation.METRICS}
    for user in range(scores.shape[0]):
        relevant = set(test[user].indices)
        if not relevant:
            continue
        unseen = [item for item in range(scores.shape[1]) if item not in set(train[user].indices)]
        ranked = sorted(unseen, key=lambda item: -scores[user, item])[:k]
        hits = [item in relevant for item in ranked]
        dcg = sum(hit / math.log2(i + 2) for i, hit in enumerate(hits))
        idcg = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
        precisions = [sum(hits[:i + 1]) / (i + 1) for i in range(len(hits))]
        per_user["precision"].append(sum(hits) / k)
        per_user["recall"].append(sum(hits) / len(relevant))
        per_user["ndcg"].append(dcg / idcg)
        per_user["map"].append(sum(p for p, h in zip(precisions, hits) if h)
                               / min(k, len(relevant)))
        per_user["hit_rate"].append(float(any(hits)))
        per_user["mrr"].append(1 / (hits.index(True) + 1) if any(hits) else 0.0)
    return {f"{name}@{k}": np.mean(values) for name, values in per_user.items()}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_and_frame_paths_agree_with_a_naive_loop(seed):
    rng = np.random.default_rng(seed)
    n_users, n_items, k = 60, 80, 10
    scores = rng.normal(size=(n_users, n_items))
    draw = rng.random((n_users, n_items))
    train = sp.csr_matrix(draw < 0.2)
    test = sp.csr_matrix((draw >= 0.2) & (draw < 0.3))
    expected = naive_metrics(scores, train, test, k)

    fast = evaluation.evaluate_scores(scores, test, k, exclude=train, batch_size=7)
    by_function = evaluation.evaluate_scores(lambda users: scores[users], test, k, exclude=train)
    items, _ = evaluation.top_k(scores, k, exclude=train)
    recs = frame({str(u): [str(i) for i in items[u]] for u in range(n_users)})
    rows, cols = test.nonzero()
    test_frame = pd.DataFrame({"user_id": rows.astype(str), "movie_id": cols.astype(str)})
    from_frame = evaluation.evaluate_ranking(recs, test_frame, k)
    for metric, value in expected.items():
        assert fast[metric] == pytest.approx(value, abs=1e-9), metric
        assert by_function[metric] == pytest.approx(value, abs=1e-9), metric
        assert from_frame[metric] == pytest.approx(value, abs=1e-9), metric


def test_top_k_masks_seen_items_and_orders_best_first():
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [0.4, 0.3, 0.2, 0.1]])
    seen = sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 0, 0]]))
    items, values = evaluation.top_k(scores, 2, exclude=seen)
    assert items.tolist() == [[3, 2], [0, 1]]
    assert values.tolist() == [[0.7, 0.5], [0.4, 0.3]]


def test_top_k_breaks_ties_by_item_position():
    items, _ = evaluation.top_k(np.ones((2, 6)), 6)
    assert items.tolist() == [list(range(6))] * 2


def test_top_k_categorical_accuracy_counts_strictly_higher_scores():
    scores = np.array([[0.9, 0.8, 0.1], [0.9, 0.8, 0.1]])
    # user 0's positive is the best item; user 1's positive is third: in top-3, not top-2.
    assert evaluation.top_k_categorical_accuracy(scores, [0, 1], [0, 2], k=2) == 0.5
    assert evaluation.top_k_categorical_accuracy(scores, [0, 1], [0, 2], k=3) == 1.0


def test_top_k_categorical_accuracy_matches_tfrs_factorized_top_k():
    from movierec_utils.tfenv import tf, tfrs

    rng = np.random.default_rng(7)
    queries = rng.normal(size=(64, 8)).astype("float32")
    candidates = rng.normal(size=(50, 8)).astype("float32")
    positives = rng.integers(0, 50, size=64)
    for k in (1, 5, 10):
        metric = tfrs.metrics.FactorizedTopK(
            candidates=tf.data.Dataset.from_tensor_slices(candidates).batch(16), ks=[k])
        metric.update_state(queries, candidates[positives])
        tfrs_value = float(metric.result()[0])
        ours = evaluation.top_k_categorical_accuracy(queries @ candidates.T, np.arange(64),
                                                     positives, k=k)
        assert ours == pytest.approx(tfrs_value, abs=1e-6), k


def test_unrankable_test_items_still_count_as_relevant():
    # User 0 has two test items in the matrix and one more (a movie unseen in training) outside.
    scores = np.array([[0.9, 0.8, 0.1]])
    test = sp.csr_matrix(np.array([[1, 1, 0]]))
    full = evaluation.evaluate_scores(scores, test, k=2)
    with_extra = evaluation.evaluate_scores(scores, test, k=2, n_relevant=np.array([3]))
    assert full["recall@2"] == 1.0 and with_extra["recall@2"] == pytest.approx(2 / 3)
    assert with_extra["ndcg@2"] == full["ndcg@2"] == 1.0  # IDCG still capped at k = 2
    with pytest.raises(ValueError, match="at least the user's test items"):
        evaluation.evaluate_scores(scores, test, k=2, n_relevant=np.array([1]))


def test_model_evaluation_agrees_with_the_frame_path_including_unseen_movies():
    from movierec_utils.models import Popularity

    train = pd.DataFrame({"user_id": ["a", "a", "b", "b", "c"],
                          "movie_id": ["1", "2", "2", "3", "1"]})
    test = pd.DataFrame({"user_id": ["a", "a", "b", "c", "c"],
                         "movie_id": ["3", "9", "1", "2", "8"]})  # 9 and 8: never in training
    model = Popularity().fit(train)
    recs = model.recommend(["a", "b", "c"], k=2)
    expected = evaluation.evaluate_ranking(recs, test, k=2)
    got = model.evaluate(test, k=2)
    for metric in ("precision@2", "recall@2", "ndcg@2", "map@2", "hit_rate@2", "mrr@2"):
        assert got[metric] == pytest.approx(expected[metric], abs=1e-12), metric


MALFORMED_LISTS = {  # user "a" rated movies 1, 2, 3
    "a movie three times": (["1", "1", "1"], [1, 2, 3], "a movie listed twice"),
    "two movies at rank 1": (["1", "2", "3"], [1, 1, 2], "two movies at one rank"),
    "rank 0": (["1", "2", "3"], [0, 1, 2], "not a whole number ≥ 1"),
    "rank -5": (["1", "2", "3"], [-5, 1, 2], "not a whole number ≥ 1"),
    "rank 1.5": (["1", "2", "3"], [1, 1.5, 2], "not a whole number ≥ 1"),
    "rank NaN": (["1", "2", "3"], [1, 2, np.nan], "not a whole number ≥ 1"),
}


@pytest.mark.parametrize("movies, ranks, message", MALFORMED_LISTS.values(), ids=MALFORMED_LISTS)
def test_malformed_recommendation_lists_are_refused(movies, ranks, message):
    test = pd.DataFrame({"user_id": ["a"] * 3, "movie_id": ["1", "2", "3"]})
    recs = pd.DataFrame({"user_id": ["a"] * 3, "movie_id": movies, "rank": ranks})
    with pytest.raises(ValueError, match=rf"recommendations has \d row.* {message}"):
        evaluation.evaluate_ranking(recs, test, k=3)


def test_an_empty_test_set_is_an_error_not_a_division_by_zero():
    empty = pd.DataFrame({"user_id": [], "movie_id": []})
    with pytest.raises(ValueError, match="test has no ratings"):
        evaluation.evaluate_ranking(frame({"a": ["1"]}), empty, k=5)
    with pytest.raises(ValueError, match="no user has test movies"):
        evaluation.evaluate_scores(np.ones((2, 3)), sp.csr_matrix((2, 3)), k=2)


def test_integer_ids_are_compared_as_strings():
    test = pd.DataFrame({"user_id": ["1", "1", "2"], "movie_id": ["10", "11", "12"]})
    as_strings = frame({"1": ["10", "13"], "2": ["14", "12"]})
    as_integers = frame({1: [10, 13], 2: [14, 12]})
    expected = evaluation.evaluate_ranking(as_strings, test, k=2)
    assert expected["hit_rate@2"] == 1.0
    assert evaluation.evaluate_ranking(as_integers, test, k=2) == expected
    integer_test = test.astype({"user_id": int, "movie_id": int})
    assert evaluation.evaluate_ranking(as_strings, integer_test, k=2) == expected


def test_an_impossible_metric_is_never_reported():
    with pytest.raises(RuntimeError, match=r"impossible metric values \{'recall@3': 3\.0\}"):
        evaluation.summarise({"recall": np.array([3.0]), "ndcg": np.array([1.0])}, k=3)
    test = pd.DataFrame({"user_id": ["a"], "movie_id": ["1"]})
    with pytest.raises(ValueError, match="catalog_size=1 is smaller than the 2 distinct movies"):
        evaluation.evaluate_ranking(frame({"a": ["1", "2"]}), test, k=2, catalog_size=1)


# --------------------------------------------------------------------------- bounded memory
def random_interactions(n_users, n_items, per_user, seed, users=None):
    """A binary users × items CSR matrix with about ``per_user`` items in each of ``users``."""
    rng = np.random.default_rng(seed)
    users = np.arange(n_users) if users is None else users
    rows = np.repeat(users, per_user)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, rng.integers(0, n_items, len(rows)))),
                           shape=(n_users, n_items))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def test_a_tiny_block_budget_streams_users_and_gives_identical_metrics():
    rng = np.random.default_rng(3)
    n_users, n_items = 200, 150
    scores = rng.normal(size=(n_users, n_items)).round(1)  # rounded: many ties at the k-th place
    train = random_interactions(n_users, n_items, 30, seed=4)
    test = random_interactions(n_users, n_items, 8, seed=5)
    one_block = dict(batch_size=n_users, max_block_bytes=2**40)
    # one user's row costs 150 cells × 24 bytes: a 5,000-byte budget holds one user per block
    assert evaluation.block_rows(n_items, max_block_bytes=5_000) == 1
    calls = []

    def by_function(users):
        calls.append(len(users))
        return scores[users]

    expected = evaluation.evaluate_scores(scores, test, 10, exclude=train, per_user=True,
                                          **one_block)
    streamed = evaluation.evaluate_scores(by_function, test, 10, exclude=train, per_user=True,
                                          max_block_bytes=5_000)
    assert streamed[0] == expected[0]
    pd.testing.assert_frame_equal(streamed[1], expected[1])
    assert set(calls) == {1} and len(calls) == expected[0]["n_users"]
    for got, want in zip(evaluation.top_k(scores, 10, exclude=train, max_block_bytes=5_000),
                         evaluation.top_k(scores, 10, exclude=train, **one_block)):
        np.testing.assert_array_equal(got, want)
    users, items = test.nonzero()
    assert evaluation.top_k_categorical_accuracy(scores, users, items, k=10,
                                                 max_block_bytes=5_000) == \
        evaluation.top_k_categorical_accuracy(scores, users, items, k=10, **one_block)


def test_evaluate_scores_peak_memory_stays_within_its_block_budget():
    """A 20,000 users × 20,000 items factor model (3.2 GB as one float64 matrix) evaluated for
    2,000 users (kept few for speed: the bound does not depend on them) with a 16 MB budget."""
    import tracemalloc

    n_users = n_items = 20_000
    budget, margin = 16 * 2**20, 4 * 2**20  # margin: per-user outputs and sparse row slices
    rng = np.random.default_rng(0)
    # One factor, an outer product: a multi-factor matmul would measure BLAS, not the evaluator.
    user_factors, item_factors = rng.normal(size=n_users), rng.normal(size=n_items)

    def scores(users):
        return np.multiply.outer(user_factors[users], item_factors)

    train = random_interactions(n_users, n_items, 20, seed=1)
    test = random_interactions(n_users, n_items, 5, seed=2, users=np.arange(0, n_users, 10))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = evaluation.evaluate_scores(scores, test, 10, exclude=train,
                                            max_block_bytes=budget)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert result["n_users"] == 2_000
    assert peak <= budget + margin, f"peak {peak / 2**20:.1f} MB over the 16 MB budget"
    assert peak >= budget / 4, "the blocks should use the budget, not a sliver of it"


# --------------------------------------------------------------------------- bad input (issue 24)
def test_both_paths_agree_for_k_beyond_the_catalogue_and_precision_divides_by_k():
    """Before: precision@2000 was hits / catalogue through model.evaluate, hits / 2000 through
    evaluate_ranking. Missing places are misses, on both paths, for every k."""
    from movierec_utils.models import Popularity

    rng = np.random.default_rng(1)
    ratings = pd.DataFrame({"user_id": rng.integers(0, 12, 200).astype(str),
                            "movie_id": rng.integers(0, 25, 200).astype(str)}).drop_duplicates()
    train, test = ratings.iloc[::3], ratings.drop(ratings.index[::3])
    test = test[test["user_id"].isin(train["user_id"])]
    model = Popularity().fit(train)
    users = sorted(test["user_id"].unique())
    for k in (1, 5, 24, 25, 26, 2000, 10**9):
        by_model = model.evaluate(test, k=k)
        by_frame = evaluation.evaluate_ranking(model.recommend(users, k=k), test, k=k)
        for metric in ("precision", "recall", "ndcg", "map", "hit_rate", "mrr"):
            assert by_model[f"{metric}@{k}"] == pytest.approx(by_frame[f"{metric}@{k}"],
                                                              abs=1e-12), (k, metric)
    hits = model.evaluate(test, k=2000, per_user=True)[1]["recall@2000"]
    assert model.evaluate(test, k=2000)["precision@2000"] == pytest.approx(
        np.mean(hits * test.groupby("user_id").size().reindex(users).to_numpy() / 2000))
    assert "precision@k still divides by ``k``" in evaluation.__doc__


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_scores_are_an_error_naming_how_many_and_which_rows(bad):
    scores = np.zeros((6, 5))
    scores[[1, 4], 2] = bad
    scores[4, 0] = bad
    test = sp.csr_matrix(np.ones((6, 5)))
    message = r"^3 scores are NaN or \+inf, for 2 of 6 users \(user rows 1, 4\)"
    for call in (lambda: evaluation.evaluate_scores(scores, test, 2),
                 lambda: evaluation.evaluate_scores(lambda u: scores[u], test, 2, batch_size=1),
                 lambda: evaluation.top_k(scores, 2),
                 lambda: evaluation.top_k_categorical_accuracy(scores, np.arange(6),
                                                               np.zeros(6, int), k=2)):
        with pytest.raises(evaluation.NonFiniteScoresError, match=message):
            call()


def test_a_diverged_scorer_is_an_error_not_zero_metrics():
    scores = np.full((943, 50), np.nan)
    test = sp.csr_matrix(np.eye(943, 50))
    with pytest.raises(ValueError, match=r"^2,500 scores are NaN or \+inf, for 50 of 50 users"):
        evaluation.evaluate_scores(scores, test, 10)


def test_minus_infinity_marks_a_movie_never_recommended_and_is_allowed():
    scores = np.array([[-np.inf, 2.0, 1.0], [3.0, -np.inf, -np.inf]])
    items, values = evaluation.top_k(scores, 3)
    assert items[0, :2].tolist() == [1, 2] and items[1, 0] == 0
    result = evaluation.evaluate_scores(scores, sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0]])), 2)
    assert result["hit_rate@2"] == 0.0
    huge = np.array([[1e308, 1e308, 1.0]])  # a row sum overflows to +inf: still finite scores
    assert evaluation.top_k(huge, 1)[0].tolist() == [[0]]


@pytest.mark.parametrize("recommended, tested", [("1.0", "1"), ("01", "1"), (" 1", "1"),
                                                 ("1", "1.0")])
def test_ids_written_differently_are_an_error_naming_the_cause(recommended, tested):
    """Before: ids 1.0 against "1" or "01" gave all-zero metrics without a word."""
    recs = frame({"a": [recommended, "2" + recommended]})
    test = pd.DataFrame({"user_id": ["a"], "movie_id": [tested]})
    with pytest.raises(ValueError, match=r"none of the 2 recommended movie ids .* occurs among "
                                         r"the 1 test movie ids .* Ids are compared as strings.* "
                                         r"They match as numbers"):
        evaluation.evaluate_ranking(recs, test, k=2)


def test_recommendations_for_none_of_the_test_users_warn():
    test = pd.DataFrame({"user_id": ["1", "2"], "movie_id": ["5", "6"]})
    with pytest.raises(ValueError, match=r"none of the 1 recommended user ids \('1.0', …\).*"
                                         r"They match as numbers"):
        evaluation.evaluate_ranking(frame({"1.0": ["5"]}), test, k=1)
    with pytest.warns(UserWarning, match=r"none of the 1 recommended user ids \('x', …\) occurs "
                                         r"among the 2 test user ids"):
        evaluation.evaluate_ranking(frame({"x": ["5"]}), test, k=1)


@pytest.mark.parametrize("settings, message", [
    ({"batch_size": 0}, r"batch_size must be a whole number ≥ 1; got 0"),
    ({"batch_size": 2.5}, r"batch_size must be a whole number ≥ 1; got 2.5"),
    ({"max_block_bytes": 0}, r"max_block_bytes must be a finite number > 0; got 0"),
    ({"max_block_bytes": np.nan}, r"max_block_bytes must be a finite number > 0; got nan"),
    ({"per_user": "yes"}, r"per_user must be True or False; got 'yes'")])
def test_evaluator_settings_are_checked(settings, message):
    scores, test = np.ones((2, 3)), sp.csr_matrix(np.eye(2, 3))
    with pytest.raises(ValueError, match=message):
        evaluation.evaluate_scores(scores, test, 2, **settings)
    if "per_user" not in settings:
        with pytest.raises(ValueError, match=message):
            evaluation.top_k(scores, 2, **settings)


def test_malformed_score_blocks_and_catalogue_sizes_are_named():
    test = sp.csr_matrix(np.eye(2, 3))
    with pytest.raises(ValueError, match=r"scores for 1 user must be a \(1, items\) array, got "
                                         r"shape \(3,\)"):
        evaluation.evaluate_scores(lambda users: np.ones(3), test, 2)
    with pytest.raises(ValueError, match=r"scores have 1 user rows but the test matrix 2"):
        evaluation.evaluate_scores(np.ones((1, 3)), test, 2)
    with pytest.raises(ValueError, match=r"scores for 1 user must be a \(1, items\) array, got "
                                         r"shape \(2, 3\)"):
        evaluation.evaluate_scores(lambda users: np.ones((2, 3)), test, 2)
    with pytest.raises(ValueError, match=r"exclude \(the training matrix\) is 2 × 4 but test 2 × 3"):
        evaluation.evaluate_scores(np.ones((2, 3)), test, 2, exclude=sp.csr_matrix((2, 4)))
    with pytest.raises(ValueError, match=r"user positions must lie in \[0, 2\), got 0 … 5"):
        evaluation.top_k(np.ones((2, 3)), 2, users=[0, 5])
    with pytest.raises(ValueError, match=r"scores must be a \(users, items\) array .* shape \(3,\)"):
        evaluation.top_k(np.ones(3), 2)
    with pytest.raises(ValueError, match=r"the scores have 4 columns but the masked training "
                                         r"matrix 3"):
        evaluation.evaluate_scores(np.ones((2, 4)), test, 2, exclude=test)
    frame_test = pd.DataFrame({"user_id": ["a"], "movie_id": ["1"]})
    for bad, shown in ((0, "0"), (2.5, "2.5")):
        with pytest.raises(ValueError, match=rf"catalog_size must be a whole number ≥ 1 or None; "
                                             rf"got {shown}"):
            evaluation.evaluate_ranking(frame({"a": ["1"]}), frame_test, k=1, catalog_size=bad)
