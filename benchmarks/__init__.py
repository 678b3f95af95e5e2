"""Benchmarks and studies: scripts that measure (run as ``python benchmarks/NAME.py``; most write
``results/NAME.json``, the others print) and the modules they and the appendix share — the
stopping-rule and scaling analyses, MovieLens-shaped synthetic data and multi-worker training
(``python -m benchmarks.distributed``). No lesson teaches them, so they live here rather than in
``movierec_utils``."""
