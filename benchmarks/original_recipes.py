"""The original report's two TFRS recipes, measured once for lessons 01 and 03 to read.

    .venv/bin/python benchmarks/original_recipes.py [--output results/original_recipes.json]

Both recipes train in-batch softmaxes over very large batches (4,096 and 8,192 ratings, so each
step scores a 4,096² or 8,192² matrix): about five minutes on two CPU cores for what the lessons
show as two small tables. The lessons read the file this writes (``results.load_results``)
instead of training them again.

* ``two_tower`` (lesson 01, section 4): the report's retrieval model — ``Embedding(64) →
  Dense(32, relu)`` towers, TFRS in-batch retrieval with accidental hits kept, Adam 0.01, batches
  of 4,096 ratings, 10 epochs, no regularisation — trained on the stratified split's training
  part (seed 42). Its TFRS top-5 and top-100 categorical accuracy on its training ratings and on
  the test ratings, its test metrics on the main protocol (NDCG@10 …) and popularity's beside.
* ``deep_ladder`` (lesson 03, section 2): the report's deep model — ``Embedding(32) →
  Dense(64, relu) → Dense(32)`` towers, in-batch softmax, Adagrad 0.1, batches of 8,192, 10 epochs
  — trained on ``train_fit`` and scored on ``valid`` after epoch 10, then the same with one
  setting changed per step (batches of 1,024; then the log-Q correction). Validation only.

The file holds the settings of every run, the numbers, the seconds, the provenance
(``results.provenance``) and the SHA-256 of ``movierec_utils/models/two_tower.py``, which lessons
01 and 03 compare with the package they import: a changed model says to run this again.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import movierec_utils  # noqa: E402,F401  (before TensorFlow)
from movierec_utils import data, results  # noqa: E402
from movierec_utils.models import Popularity, TwoTower, two_tower  # noqa: E402
from movierec_utils.splits import stratified_split  # noqa: E402

SEED, TRAIN_RATIO, VALID_RATIO, K, EPOCHS = 42, 0.75, 0.15, 10, 10
TWO_TOWER_RECIPE = dict(embedding_dim=64, output_dim=32, tower_activation="relu", loss="in_batch",
                        learning_rate=0.01, l2=0.0, batch_size=4096, epochs=EPOCHS,
                        remove_accidental_hits=False, seed=SEED)
DEEP_RECIPE = dict(embedding_dim=32, hidden_units=(64,), output_dim=32, loss="in_batch",
                   optimizer="adagrad", learning_rate=0.1, batch_size=8192, l2=0.0,
                   epochs=EPOCHS, max_epochs=EPOCHS, patience=EPOCHS, seed=SEED)
LADDER = {  # step: (the one setting changed from the step before, cumulative settings)
    "1 · original recipe": ("—", {}),
    "2 · batches of 1,024": ("batch_size 8192 → 1024 (8× the steps)", dict(batch_size=1024)),
    "3 · + log-Q correction": ("loss in_batch → logq", dict(batch_size=1024, loss="logq")),
}


def two_tower_recipe(train, test) -> dict:
    model = TwoTower(**TWO_TOWER_RECIPE).fit(train)
    return {
        "settings": TWO_TOWER_RECIPE,
        "top_5_accuracy": {"train": model.categorical_accuracy(train, 5),
                           "test": model.categorical_accuracy(test, 5)},
        "top_100_accuracy": {"train": model.categorical_accuracy(train, 100),
                             "test": model.categorical_accuracy(test, 100)},
        "test": model.evaluate(test, K),
        "popularity_test": Popularity().fit(train).evaluate(test, K),
        "train_seconds": model.fit_seconds_,
    }


def deep_ladder(train_fit, valid) -> dict:
    steps = []
    for step, (change, settings) in LADDER.items():
        model = TwoTower(**{**DEEP_RECIPE, **settings}).fit(train_fit, valid)
        steps.append({"step": step, "setting changed": change,
                      "valid_ndcg@10": model.history_[-1]["valid_ndcg@10"],  # after the last epoch
                      "gradient steps": EPOCHS * -(-len(train_fit) // model.batch_size),
                      "settings": {**DEEP_RECIPE, **settings},
                      "train_seconds": sum(record["seconds"] for record in model.history_)})
    return {"steps": steps, "epochs": EPOCHS,
            "popularity_valid_ndcg@10": Popularity().fit(train_fit).evaluate(valid, K)["ndcg@10"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "results" / "original_recipes.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    ratings = data.load_ratings("100k")
    train, test = stratified_split(ratings, ratio=TRAIN_RATIO, seed=SEED)
    train_fit, valid, _ = stratified_split(ratings, ratio=TRAIN_RATIO, seed=SEED,
                                           valid_ratio=VALID_RATIO)
    record = {"name": "original_recipes",
              "command": "python benchmarks/original_recipes.py",
              "split": {"function": "stratified_split", "seed": SEED, "ratio": TRAIN_RATIO,
                        "valid_ratio": VALID_RATIO},
              "two_tower": two_tower_recipe(train, test),
              "deep_ladder": deep_ladder(train_fit, valid)}
    # the model code that trained them: lessons 01 and 03 say so when it has changed since
    record["two_tower_code_sha256"] = results.code_digest(two_tower)
    record["seconds"] = time.perf_counter() - started
    record.update(results.provenance())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2, default=results.json_default) + "\n",
                           encoding="utf-8")
    print(json.dumps({key: record[key] for key in ("two_tower", "deep_ladder")}, indent=1,
                     default=results.json_default)[:3000])
    print(f"wrote {args.output} in {record['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
