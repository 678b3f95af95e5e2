"""Root pytest configuration, for the unit tests and the nbval-executed notebooks alike.

Notebooks write figures/ and results/; under test they write into a temporary folder instead, so
`make test` never rewrites the committed outputs (those come from `make report`).
"""
import os
import tempfile

os.environ.setdefault("MOVIEREC_OUTPUT_ROOT", tempfile.mkdtemp(prefix="movierec-test-outputs-"))
