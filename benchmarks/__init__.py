"""Benchmarks and studies: scripts that measure (run as ``python benchmarks/NAME.py``, each writing
``results/NAME.json``) and the modules they and the appendix share — the stopping-rule and
scaling analyses, MovieLens-shaped synthetic data and multi-worker training. None of it is taught
by a lesson, so it lives here rather than in ``movierec_utils``."""
