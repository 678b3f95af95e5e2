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
