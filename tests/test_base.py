"""The input checks of the shared Recommender, through tiny dummy subclasses (no TensorFlow)."""
import numpy as np
import pytest

from movierec_utils.models.base import Recommender


class Constant(Recommender):
    """Scores every movie 0; trains ``epochs`` epochs whose losses come from ``losses``."""

    name = "constant"

    def __init__(self, losses=(1.0, 0.5), seed: int = 42):
        super().__init__(seed)
        self.losses = tuple(losses)
        self.epochs, self.patience = len(self.losses), 2

    def _fit(self, train, valid):
        losses = iter(self.losses)
        self._train_epochs(lambda: next(losses), valid, get_state=lambda: None,
                           set_state=lambda state: None)

    def _score(self, user_codes):
        return np.zeros((len(user_codes), len(self.items_)))


class NeedsFeatures(Constant):
    required_columns = ("user_id", "movie_id", "movie_title", "user_gender")


def test_a_subclass_names_the_columns_it_needs(synthetic):
    NeedsFeatures().fit(synthetic)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['movie_title', 'user_gender'\]"
                                         r".*movierec_utils\.data\.load_ratings\(\)"):
        NeedsFeatures().fit(synthetic.drop(columns=["movie_title", "user_gender"]))


@pytest.mark.parametrize("bad, message", [(np.nan, "no rating"), (7.0, "a rating other than"),
                                          (-3.0, "a rating other than"),
                                          (0.0, "a rating other than")])
def test_training_ratings_must_be_valid_stars(synthetic, bad, message):
    ratings = synthetic.copy()
    ratings.loc[[3, 8], "user_rating"] = bad
    with pytest.raises(ValueError, match=rf"train\['user_rating'\] has 2 row\(s\) with {message}"
                                         r".*\{3: \{'user_id'"):
        Constant().fit(ratings)
    Constant().fit(ratings.drop(columns="user_rating"))  # the column itself is optional


def test_a_non_finite_loss_stops_training_at_its_epoch(synthetic):
    model = Constant(losses=(1.0, 0.5, 0.4)).fit(synthetic)
    assert [record["loss"] for record in model.history_] == [1.0, 0.5, 0.4]
    for bad in (np.nan, np.inf):
        with pytest.raises(FloatingPointError, match=f"loss of epoch 3 is {bad}.*learning_rate"):
            Constant(losses=(1.0, 0.5, bad, 0.2)).fit(synthetic)


# --------------------------------------------------------------------------- check_setting
from movierec_utils.models.base import check_setting  # noqa: E402  (the helper models import)


@pytest.mark.parametrize("value, rules, message", [
    (-800, dict(kind=float, low=0, low_open=True), r"l2 must be a finite number > 0; got -800 \(int\)"),
    (0, dict(kind=float, low=0, low_open=True), r"l2 must be a finite number > 0; got 0 \(int\)"),
    (np.nan, dict(kind=float, low=0, low_open=True), r"l2 must be a finite number > 0; got nan"),
    (np.inf, dict(kind=float, low=0), r"l2 must be a finite number ≥ 0; got inf"),
    (-np.inf, dict(kind=float), r"l2 must be a finite number; got -inf"),
    (True, dict(kind=int, low=1), r"l2 must be a whole number ≥ 1; got True \(bool\)"),
    (3.0, dict(kind=int, low=1), r"l2 must be a whole number ≥ 1; got 3.0 \(float\)"),
    ("10", dict(kind=int, low=1), r"l2 must be a whole number ≥ 1; got '10' \(str\)"),
    (None, dict(kind=int, low=1), r"l2 must be a whole number ≥ 1; got None \(NoneType\)"),
    (1.0, dict(kind=float, low=0, high=1, high_open=True),
     r"l2 must be a finite number in \[0, 1\); got 1.0"),
    (0, dict(kind=float, low=0, high=1, low_open=True), r"l2 must be a finite number in \(0, 1\]"),
    (7, dict(kind=int, high=5), r"l2 must be a whole number ≤ 5; got 7"),
    (5, dict(kind=int, high=5, high_open=True), r"l2 must be a whole number < 5; got 5"),
    (1, dict(kind=bool), r"l2 must be True or False; got 1 \(int\)"),
    ("tanh", dict(kind=str, choices=("relu", "gelu")),
     r"l2 must be one of 'relu', 'gelu'; got 'tanh' \(str\)"),
    (3, dict(kind=str), r"l2 must be a string; got 3 \(int\)"),
    ("aut", dict(kind=(float, str), low=0, low_open=True, choices=("auto",)),
     r"l2 must be a finite number > 0 or 'auto'; got 'aut'"),
    (-1.5, dict(kind=(float, str), low=0, low_open=True, choices=("auto",)),
     r"l2 must be a finite number > 0 or 'auto'; got -1.5"),
    (4, dict(kind=int, choices=(8, 16, 32)), r"l2 must be one of 8, 16, 32; got 4 \(int\)"),
    (True, dict(kind=int, choices=(1, 2)), r"got True \(bool\)"),
    ("x", dict(kind=int, low=1, allow_none=True), r"l2 must be a whole number ≥ 1 or None; got 'x'"),
])
def test_check_setting_names_the_setting_the_value_and_what_is_allowed(value, rules, message):
    with pytest.raises(ValueError, match=message):
        check_setting("l2", value, **rules)


@pytest.mark.parametrize("value, rules", [
    (800.0, dict(kind=float, low=0, low_open=True)), (800, dict(kind=float, low=0, low_open=True)),
    (np.float32(0.5), dict(kind=float, low=0, high=1)), (np.int64(3), dict(kind=int, low=1)),
    (0.0, dict(kind=float, low=0, high=1, high_open=True)), (5, dict(kind=int, high=5)),
    (True, dict(kind=bool)), (np.bool_(False), dict(kind=bool)), (None, dict(allow_none=True)),
    ("auto", dict(kind=(float, str), low=0, low_open=True, choices=("auto",))),
    (2.5, dict(kind=(float, str), low=0, low_open=True, choices=("auto",))),
    ("relu", dict(kind=str, choices=["relu", "gelu"])), (16, dict(kind=int, choices=(8, 16))),
    ("anything", dict(kind=str)),
])
def test_check_setting_returns_an_allowed_value_unchanged(value, rules):
    assert check_setting("x", value, **rules) is value


def test_check_setting_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match=r"check_setting\('x'\): kind must be int, float, bool "
                                         r"or str.*list"):
        check_setting("x", [1], kind=list)


@pytest.mark.parametrize("seed, message", [(-1, r"got -1 \(int\)"), (1.5, r"got 1.5 \(float\)"),
                                           (True, r"got True \(bool\)"),
                                           ("42", r"got '42' \(str\)"),
                                           (2**32, r"got 4294967296")])
def test_the_seed_is_checked_when_the_model_is_built(seed, message):
    with pytest.raises(ValueError, match=r"seed must be a whole number in \[0, 4294967295\]; "
                                         + message):
        Constant(seed=seed)
    assert Constant(seed=np.int64(7)).seed == 7


# --------------------------------------------------------------------------- training settings
class Looping(Constant):
    """A model with every training-loop setting, trained on validation when given."""

    def __init__(self, epochs=2, max_epochs=3, patience=1, batch_size=8, seed=42):
        super().__init__(losses=(1.0,) * 10, seed=seed)
        self.epochs, self.max_epochs, self.patience, self.batch_size = (epochs, max_epochs,
                                                                        patience, batch_size)


@pytest.mark.parametrize("setting, value, shown", [
    ("epochs", 0, r"0 \(int\)"), ("epochs", -1, r"-1 \(int\)"), ("max_epochs", 0, r"0 \(int\)"),
    ("batch_size", 0, r"0 \(int\)"), ("patience", 0, r"0 \(int\)"), ("epochs", 2.0, r"2.0"),
    ("batch_size", None, "None"), ("max_epochs", np.nan, "nan")])
def test_training_loop_settings_are_checked_before_any_work(synthetic, setting, value, shown):
    """Before: epochs ≤ 0 returned an untrained model as fitted; batch_size=0 and max_epochs=0
    ended in bare "range() arg 3 must not be zero" / "argmax of an empty sequence"."""
    model = Looping(**{setting: value})
    for valid in (None, synthetic):
        with pytest.raises(ValueError, match=rf"^{setting} must be a whole number ≥ 1; got {shown}"):
            model.fit(synthetic, valid)
    assert model.fit_seconds_ is None and not model.history_


def test_validation_is_prepared_once_per_fit_and_gives_the_same_metrics(synthetic, monkeypatch):
    train, valid = synthetic.iloc[::2], synthetic.iloc[1::2]
    built = []
    original = Recommender._evaluation_inputs
    monkeypatch.setattr(Recommender, "_evaluation_inputs",
                        lambda self, test: built.append(len(test)) or original(self, test))
    model = Looping(max_epochs=5, patience=10).fit(train, valid)
    assert len(model.history_) == 5 and len(built) == 1  # once for five epochs
    assert model.history_[-1]["valid_ndcg@10"] == model._validation_metrics(valid)["ndcg@10"]


class Diverged(Constant):
    def _score(self, user_codes):
        scores = np.zeros((len(user_codes), len(self.items_)))
        scores[np.isin(user_codes, self.nan_users), :3] = np.nan
        return scores


def test_nan_scores_are_an_error_naming_how_many_and_which_users(synthetic):
    model = Diverged().fit(synthetic)
    model.nan_users = model.users_.codes(["1", "2"])
    message = (r"^6 scores are NaN or \+inf, for 2 of 30 users \(user ids '1', '2'\); no ranking "
               r"or metric can be computed from them\. .*smaller learning rate")
    with pytest.raises(ValueError, match=message):
        model.evaluate(synthetic)
    with pytest.raises(ValueError, match=r"^6 scores are NaN or \+inf, for 2 of 3 users"):
        model.recommend(["1", "2", "3"])
    with pytest.raises(ValueError, match=r"NaN or \+inf, for 2 of 30 users"):
        model._validation_metrics(synthetic)
    with pytest.raises(ValueError, match=r"NaN or \+inf, for .* users \(user ids '1'"):
        model.categorical_accuracy(synthetic)
    model.nan_users = model.users_.codes(model.users_.ids)  # every score: a diverged model
    with pytest.raises(ValueError, match=r"^90 scores are NaN or \+inf, for 30 of 30 users"):
        model.evaluate(synthetic)


def test_test_movies_written_differently_are_an_error_not_zero_metrics(synthetic):
    model = Constant().fit(synthetic)
    as_floats = synthetic.assign(movie_id=synthetic["movie_id"].astype(float))  # "1.0"
    padded = synthetic.assign(movie_id=synthetic["movie_id"].str.zfill(3))  # "001"
    for test in (as_floats, padded):
        with pytest.raises(ValueError, match=r"none of the test movies \('.*', …\) is in the "
                                             r"model's catalogue .* so every metric would be 0"):
            model.evaluate(test)
    with pytest.raises(KeyError, match=r"1 test users are not in the training data \(e.g. 'x'\)"):
        model.evaluate(synthetic.assign(user_id="x"))


def test_on_epoch_sees_every_epochs_record_and_can_stop_the_fit(synthetic):
    seen = []
    model = Constant(losses=(1.0, 0.5, 0.4)).fit(synthetic, on_epoch=seen.append)
    assert seen == model.history_ and [record["epoch"] for record in seen] == [1, 2, 3]

    class Stop(Exception):
        pass

    def stop_after_two(record):
        if record["epoch"] == 2:
            raise Stop
    with pytest.raises(Stop):
        Constant(losses=(1.0, 0.5, 0.4)).fit(synthetic, on_epoch=stop_after_two)
    with pytest.raises(ValueError, match=r"on_epoch must be a function of one epoch's record, "
                                         r"got int"):
        Constant().fit(synthetic, on_epoch=3)
    assert len(Constant().fit(synthetic).history_) == 2  # without a hook, as before
