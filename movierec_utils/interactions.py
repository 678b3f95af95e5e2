"""Ids ↔ matrix positions, and ratings as sparse user × movie matrices."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


class UnknownIdError(KeyError):
    """An id that the model never saw in training. Prints its message plainly (KeyError quotes)."""

    def __str__(self) -> str:
        return str(self.args[0])


class IdIndex:
    """A fixed, sorted vocabulary of ids with fast id → position lookups."""

    def __init__(self, ids, kind: str = "id"):
        categorical = _categorical(ids)
        if categorical is not None:  # the categories in use: no pass over every row's value
            ids = categorical.categories[np.unique(categorical.codes[categorical.codes >= 0])]
        self.ids = np.asarray(sorted(pd.unique(np.asarray(ids))), dtype=object)
        self.kind = kind
        self._codes = pd.Index(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, value) -> bool:
        return value in self._codes

    def codes(self, values, strict: bool = True) -> np.ndarray:
        """Positions of ``values``; unknown ones are an error (or -1 with ``strict=False``)."""
        codes = index_positions(self._codes, values)
        if strict and (codes < 0).any():
            unknown = pd.unique(np.asarray(values, dtype=object)[codes < 0])
            shown = ", ".join(repr(v) for v in unknown[:5])
            raise UnknownIdError(
                f"unknown {self.kind}{'s' if len(unknown) > 1 else ''} {shown}"
                f"{' …' if len(unknown) > 5 else ''}: not in the training data "
                f"({len(self)} known {self.kind}s, e.g. {self.ids[0]!r}). Ids are strings, "
                "as in MovieLens/tfds (\"55\", not 55).")
        return codes


def as_ids(values) -> np.ndarray | pd.Categorical:
    """One id or many, as strings — the type of MovieLens/tfds ids — so 55 and "55" match.

    Categorical ids (the compact frames of :func:`movierec_utils.data.load_ratings`) stay
    categorical, with string categories: only the categories are converted, which keeps this
    cheap for 25 million ratings; anything else becomes an object array of strings.
    """
    if isinstance(values, (str, int, np.integer)):
        values = [values]
    categorical = _categorical(values)
    if categorical is not None and not (categorical.codes < 0).any():
        categories = [str(value) for value in categorical.categories]
        if len(set(categories)) == len(categories):  # else e.g. 55 and "55": merged below
            return pd.Categorical.from_codes(categorical.codes, categories=categories)
    return _strings(values)


def _strings(values) -> np.ndarray:
    """``[str(value) for value in values]`` as an object array, without the per-value Python
    loop when the values are already strings or integers (the common cases: a 250,000-rating
    test set took seconds through the loop)."""
    if (isinstance(values, (pd.Series, pd.Index)) and values.dtype != object
            and pd.api.types.is_string_dtype(values.dtype) and not values.isna().any()):
        return values.to_numpy(dtype=object)
    array = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
    if array.ndim == 1 and array.dtype.kind in "iuU":
        return array.astype(str).astype(object)
    if array.ndim == 1 and array.dtype == object and \
            pd.api.types.infer_dtype(array, skipna=False) == "string":
        return array.copy()
    return np.asarray([str(value) for value in values], dtype=object)


def index_positions(index: pd.Index, values) -> np.ndarray:
    """Position in ``index`` of each of ``values`` (-1 when absent or missing). Categorical
    values are looked up once per category and spread by their codes: cheap at any length."""
    categorical = _categorical(values)
    if categorical is None:
        return index.get_indexer(np.asarray(values, dtype=object))
    positions = np.append(index.get_indexer(categorical.categories), -1)
    return positions[categorical.codes]  # a missing value's code, -1, picks the appended -1


def _categorical(values) -> pd.Categorical | None:
    """``values`` as a pandas Categorical when they are one (array or Series), else None."""
    if isinstance(values, pd.Categorical):
        return values
    if isinstance(values, (pd.Series, pd.Index)) and isinstance(values.dtype,
                                                                pd.CategoricalDtype):
        return values.array if isinstance(values, pd.Series) else values.values
    return None


def interaction_matrix(ratings: pd.DataFrame, users: IdIndex, items: IdIndex,
                       values: str | None = None, strict: bool = True) -> sp.csr_matrix:
    """A ``len(users) × len(items)`` CSR matrix with 1 (or ``ratings[values]``) per rating.

    With ``strict=False`` rows whose user or movie is not in the index are dropped.
    """
    rows = users.codes(ratings["user_id"], strict)
    cols = items.codes(ratings["movie_id"], strict)
    keep = (rows >= 0) & (cols >= 0)
    data = np.ones(keep.sum()) if values is None else ratings[values].to_numpy(float)[keep]
    matrix = sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(len(users), len(items)))
    matrix.sum_duplicates()
    return matrix
