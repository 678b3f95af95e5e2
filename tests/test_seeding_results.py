"""Seeding, results files and figure saving."""
import json
import random

import numpy as np

from movierec_utils import plotting, results
from movierec_utils.seeding import set_seed


def test_set_seed_makes_python_numpy_and_tensorflow_repeat():
    from movierec_utils.tfenv import tf

    def draw():
        return random.random(), np.random.rand(), float(tf.random.uniform(()))

    set_seed(11)
    first = draw()
    set_seed(11)
    assert draw() == first
    set_seed(12)
    assert draw() != first


def test_save_results_writes_metrics_parameters_and_versions(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVIEREC_OUTPUT_ROOT", str(tmp_path))
    results.save_results("demo", {"ndcg@10": np.float64(0.5)}, {"epochs": 3}, seconds=1.5)
    written = json.loads((tmp_path / "results" / "demo.json").read_text())
    assert written["metrics"] == {"ndcg@10": 0.5}
    assert written["parameters"] == {"epochs": 3} and written["seconds"] == 1.5
    assert written["versions"]["tensorflow"] != "not installed"
    assert results.load_results("demo")["name"] == "demo"


def test_save_figure_writes_a_png(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("MOVIEREC_OUTPUT_ROOT", str(tmp_path))
    plotting.use_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = plotting.save_figure(fig, "line")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_importing_the_package_is_quiet_and_sets_legacy_keras():
    import os
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-c", "import movierec_utils, os; "
                                "print(os.environ['TF_USE_LEGACY_KERAS'])"],
                               capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "1" and completed.stderr == ""
    assert os.environ["TF_USE_LEGACY_KERAS"] == "1"


def test_importing_the_package_caps_onednn_at_avx2_unless_told_otherwise():
    """oneDNN's instruction set changes TensorFlow's numbers (AVX-512 vs AVX2 kernels round
    differently): the package caps it so the committed notebook outputs hold on every machine."""
    import os
    import subprocess
    import sys

    def isa(environment):
        code = "import movierec_utils, os; print(os.environ['ONEDNN_MAX_CPU_ISA'])"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, env=environment).stdout.strip()

    environment = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    assert isa(environment) == "AVX2"
    assert isa({**environment, "ONEDNN_MAX_CPU_ISA": "SSE41"}) == "SSE41"
