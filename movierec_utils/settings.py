"""One check for every setting of a model, the evaluator or a training loop.

:func:`check_setting` is what a constructor calls for each argument, so a bad value fails when the
object is built, with a message that names the setting, the value and what is allowed — never
later as a silent worse model or a bare Python/NumPy error. It is re-exported by
:mod:`movierec_utils.models.base` (where model code imports it from).

    self.l2 = check_setting("l2", l2, kind=float, low=0, low_open=True)      # l2 > 0, finite
    self.dropout = check_setting("dropout", dropout, kind=float, low=0, high=1, high_open=True)
    self.epochs = check_setting("epochs", epochs, kind=int, low=1)
"""
from __future__ import annotations

import math
import numbers

import numpy as np

_KIND_WORDS = {int: "a whole number", float: "a finite number", bool: "True or False",
               str: "a string"}


def check_setting(name: str, value, *, kind=int, low=None, high=None, low_open: bool = False,
                  high_open: bool = False, choices=None, allow_none: bool = False):
    """Return ``value`` unchanged when it is an allowed value of the setting ``name``; otherwise
    raise ``ValueError`` naming the setting, the value (and its type) and what is allowed.

    ``kind`` is ``int``, ``float``, ``bool`` or ``str``, or a tuple of them (e.g.
    ``(float, str)`` with ``choices`` for the strings). The rules:

    * ``int``: a Python or NumPy integer; ``True``/``False`` are refused (a bool is not a
      count), and so is ``3.0`` (a float is not a whole number here).
    * ``float``: any real number that is not a bool, finite (NaN and ±inf are refused).
    * ``bool``: ``True``/``False`` (also NumPy's); ``0``/``1`` are refused.
    * ``str``: a string; with ``choices``, one of them.
    * ``low``/``high`` bound numbers, inclusive unless ``low_open``/``high_open``.
    * ``choices``: the allowed values. With numeric choices a number must be one of them; with
      only string choices (e.g. ``kind=(float, str), choices=("auto",)``) a number is checked
      against ``low``/``high`` instead.
    * ``allow_none``: ``None`` is allowed (e.g. "no limit").
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    unknown = [each for each in kinds if each not in _KIND_WORDS]
    if unknown:
        raise ValueError(f"check_setting({name!r}): kind must be int, float, bool or str (or a "
                         f"tuple of them), got {unknown}")
    if value is None:
        if allow_none:
            return value
        _refuse(name, value, kinds, low, high, low_open, high_open, choices, allow_none)
    matched = [each for each in kinds if _is_kind(value, each)]
    if not matched:
        _refuse(name, value, kinds, low, high, low_open, high_open, choices, allow_none)
    if choices is not None:
        if _in_choices(value, choices):
            return value
        # (float, str) with string choices: a number is still checked against the range.
        numeric_choices = any(_is_kind(choice, float) for choice in choices)
        if numeric_choices or not (set(matched) & {int, float}):
            _refuse(name, value, kinds, low, high, low_open, high_open, choices, allow_none)
    if set(matched) & {int, float}:
        number = float(value)
        if (not math.isfinite(number)
                or (low is not None and (number < low or (low_open and number == low)))
                or (high is not None and (number > high or (high_open and number == high)))):
            _refuse(name, value, kinds, low, high, low_open, high_open, choices, allow_none)
    return value


def _is_kind(value, kind) -> bool:
    is_bool = isinstance(value, (bool, np.bool_))
    if kind is bool:
        return is_bool
    if kind is int:
        return isinstance(value, (int, np.integer)) and not is_bool
    if kind is float:
        return isinstance(value, numbers.Real) and not is_bool
    return isinstance(value, str)


def _in_choices(value, choices) -> bool:
    """``value`` equals a choice of the same kind (so ``True`` is not the choice ``1``)."""
    return any(value == choice for choice in choices
               if _is_kind(value, bool) == _is_kind(choice, bool)
               and isinstance(value, str) == isinstance(choice, str))


def describe(kinds, low=None, high=None, low_open=False, high_open=False, choices=None,
             allow_none=False) -> str:
    """What a setting allows, in words: "a whole number ≥ 1", "a finite number in [0, 1)", …"""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    parts = []
    numeric = [each for each in kinds if each in (int, float)]
    if numeric and not any(_is_kind(choice, float) for choice in choices or ()):
        word = _KIND_WORDS[float] if float in numeric else _KIND_WORDS[int]
        parts.append(word + _range_words(low, high, low_open, high_open))
    if bool in kinds:
        parts.append(_KIND_WORDS[bool])
    if str in kinds and not choices:
        parts.append(_KIND_WORDS[str])
    if choices:
        choices = list(choices)
        parts.append(repr(choices[0]) if len(choices) == 1
                     else "one of " + ", ".join(repr(choice) for choice in choices))
    if allow_none:
        parts.append("None")
    return " or ".join(parts)


def _range_words(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        return (f" in {'(' if low_open else '['}{_number(low)}, {_number(high)}"
                f"{')' if high_open else ']'}")
    if low is not None:
        return f" {'>' if low_open else '≥'} {_number(low)}"
    if high is not None:
        return f" {'<' if high_open else '≤'} {_number(high)}"
    return ""


def _number(bound) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _refuse(name, value, kinds, low, high, low_open, high_open, choices, allow_none):
    allowed = describe(kinds, low, high, low_open, high_open, choices, allow_none)
    raise ValueError(f"{name} must be {allowed}; got {value!r} ({type(value).__name__})")


def check_layer_widths(name: str, widths) -> tuple:
    """``widths`` as a tuple of hidden-layer sizes, each a whole number ≥ 1 (``()`` for none);
    anything else raises ``ValueError`` naming the setting."""
    if not isinstance(widths, (tuple, list)):
        raise ValueError(f"{name} must be a tuple of layer widths, e.g. (64,) or (); "
                         f"got {widths!r}")
    for i, units in enumerate(widths):
        check_setting(f"{name}[{i}]", units, kind=int, low=1)
    return tuple(widths)


def check_subset(name: str, given, allowed: tuple) -> tuple:
    """``given`` as a tuple when it is a non-empty collection of names from ``allowed``;
    otherwise ``ValueError`` naming the setting and what is allowed."""
    if isinstance(given, str) or not given or not set(given) <= set(allowed):
        raise ValueError(f"{name} = {given!r}: give a non-empty tuple from {allowed}")
    return tuple(given)
