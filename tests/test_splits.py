"""Splits: deterministic for a seed, disjoint, complete, every user in train."""
import re
import pandas as pd
import pytest

from movierec_utils.splits import (holdout_users, random_split, split_cold, stratified_split,
                                   temporal_split)


def row_keys(frame):
    return set(map(tuple, frame[["user_id", "movie_id"]].to_numpy()))


@pytest.mark.parametrize("ratio", [0.5, 0.75, 0.9])
def test_stratified_split_is_disjoint_complete_and_per_user(synthetic, ratio):
    train, test = stratified_split(synthetic, ratio=ratio, seed=3)
    assert row_keys(train).isdisjoint(row_keys(test))
    assert len(train) + len(test) == len(synthetic)
    assert set(train["user_id"]) == set(synthetic["user_id"])
    sizes = synthetic.groupby("user_id").size()
    assert (train.groupby("user_id").size() == sizes.map(lambda n: round(ratio * n))).all()


def test_stratified_split_is_deterministic_and_seed_dependent(synthetic):
    first, _ = stratified_split(synthetic, seed=1)
    again, _ = stratified_split(synthetic, seed=1)
    other, _ = stratified_split(synthetic, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert row_keys(first) != row_keys(other)


def test_stratified_split_follows_the_microsoft_recommenders_protocol(synthetic):
    # Per user: pandas sample(frac=1, random_state=seed), first round(ratio * n) to train.
    train, _ = stratified_split(synthetic, ratio=0.75, seed=42)
    expected = set()
    for _, group in synthetic.groupby("user_id"):
        shuffled = group.sample(frac=1, random_state=42)
        expected |= row_keys(shuffled.iloc[:round(0.75 * len(group))])
    assert row_keys(train) == expected


def test_validation_is_carved_from_train_only(synthetic):
    train, valid, test = stratified_split(synthetic, ratio=0.75, seed=0, valid_ratio=0.2)
    _, plain_test = stratified_split(synthetic, ratio=0.75, seed=0)
    assert row_keys(test) == row_keys(plain_test)
    assert row_keys(valid).isdisjoint(row_keys(train) | row_keys(test))
    assert len(train) + len(valid) + len(test) == len(synthetic)
    assert set(train["user_id"]) == set(synthetic["user_id"])


def test_random_split_shares_and_determinism(synthetic):
    train, test = random_split(synthetic, ratio=0.8, seed=5)
    assert len(train) == round(0.8 * len(synthetic))
    assert row_keys(train).isdisjoint(row_keys(test))
    pd.testing.assert_frame_equal(train, random_split(synthetic, ratio=0.8, seed=5)[0])


def test_holdout_users_removes_whole_users(synthetic):
    rest, held = holdout_users(synthetic, fraction=0.1, seed=0)
    assert set(rest["user_id"]).isdisjoint(set(held["user_id"]))
    assert held["user_id"].nunique() == 3 and len(rest) + len(held) == len(synthetic)


@pytest.mark.parametrize("bad", [0, 1, -0.2, 1.5, float("nan"), "0.75", True])
def test_ratio_must_be_a_proper_fraction(synthetic, bad):
    message = rf"ratio must be a finite number in \(0, 1\); got {re.escape(repr(bad))}"
    with pytest.raises(ValueError, match=message):
        stratified_split(synthetic, ratio=bad)
    with pytest.raises(ValueError, match=message):
        random_split(synthetic, ratio=bad)
    with pytest.raises(ValueError, match=message.replace("ratio", "valid_ratio", 1)
                       .replace("; got", " or None; got")):
        stratified_split(synthetic, valid_ratio=bad)
    with pytest.raises(ValueError, match=message.replace("ratio", "fraction", 1)):
        holdout_users(synthetic, fraction=bad)


@pytest.mark.parametrize("split", ["stratified_split", "random_split", "holdout_users"])
def test_split_settings_and_frames_are_checked(synthetic, split):
    function = {"stratified_split": stratified_split, "random_split": random_split,
                "holdout_users": holdout_users}[split]
    for seed, shown in ((-1, "-1"), (1.5, "1.5"), (None, "None")):
        with pytest.raises(ValueError, match=rf"seed must be a whole number in \[0, 4294967295\]; "
                                             rf"got {shown}"):
            function(synthetic, seed=seed)
    with pytest.raises(ValueError, match=r"ratings must be a pandas DataFrame, got list"):
        function([1, 2])
    with pytest.raises(ValueError, match=r"ratings lack the column\(s\) \['user_id'"):
        function(synthetic.drop(columns="user_id"))


def test_duplicated_ratings_are_refused_not_split_across_train_and_test(synthetic):
    doubled = pd.concat([synthetic, synthetic.sample(100, random_state=0)], ignore_index=True)
    for split in (stratified_split, random_split):
        with pytest.raises(ValueError, match=r"200 rows that repeat a \(user_id, movie_id\) pair"
                                             r".*drop_duplicates"):
            split(doubled)


def test_users_with_few_ratings_keep_one_in_train_and_one_in_test(synthetic):
    few = pd.DataFrame({"user_id": ["a", "b", "b", "c", "c", "c"],
                        "movie_id": ["1", "1", "2", "1", "2", "3"]})
    ratings = pd.concat([synthetic, few], ignore_index=True)
    for ratio in (0.1, 0.75, 0.9):
        train, test = stratified_split(ratings, ratio=ratio, seed=0)
        assert set(train["user_id"]) == set(ratings["user_id"])  # all recommendable
        assert set(test["user_id"]) == set(ratings["user_id"]) - {"a"}  # all but "a" evaluated
        assert (train["user_id"] == "a").sum() == 1
    train, valid, test = stratified_split(ratings, ratio=0.75, seed=0, valid_ratio=0.2)
    assert set(train["user_id"]) == set(ratings["user_id"])


def test_temporal_split_puts_the_latest_ratings_in_test_and_keeps_a_second_together(synthetic):
    train, test = temporal_split(synthetic, test_ratio=0.2)
    assert row_keys(train) | row_keys(test) == row_keys(synthetic)
    assert not row_keys(train) & row_keys(test)
    assert train["timestamp"].max() < test["timestamp"].min()  # nothing from the future
    assert abs(len(test) - 0.2 * len(synthetic)) <= (synthetic["timestamp"] ==
                                                     train["timestamp"].max()).sum()
    fit, valid, test_again = temporal_split(synthetic, test_ratio=0.2, valid_ratio=0.25)
    assert test_again.equals(test)
    assert fit["timestamp"].max() < valid["timestamp"].min() <= valid["timestamp"].max() \
        < test["timestamp"].min()
    assert abs(len(valid) - 0.25 * len(train)) <= 1
    tied = pd.DataFrame({"user_id": list("abcd"), "movie_id": list("1234"),
                         "timestamp": [1, 2, 2, 3]})
    train, test = temporal_split(tied, test_ratio=0.5)  # the cut at 2 keeps both 2s in train
    assert list(test["timestamp"]) == [3]


def test_temporal_split_refuses_a_cut_with_nothing_after_it_and_missing_times(synthetic):
    same_time = synthetic.assign(timestamp=5)
    with pytest.raises(ValueError, match=r"no rating is later than timestamp 5"):
        temporal_split(same_time)
    with pytest.raises(ValueError, match=r"lack the column\(s\) \['timestamp'\]"):
        temporal_split(synthetic.drop(columns="timestamp"))
    with pytest.raises(ValueError, match=r"test_ratio must be"):
        temporal_split(synthetic, test_ratio=1.0)


def test_split_cold_separates_test_users_without_training_ratings(synthetic):
    train, test = temporal_split(synthetic, test_ratio=0.3)
    warm, cold = split_cold(train, test)
    assert len(warm) + len(cold) == len(test)
    assert set(warm["user_id"]) <= set(train["user_id"])
    assert not set(cold["user_id"]) & set(train["user_id"])
