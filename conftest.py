"""Root pytest configuration, for the unit tests and the nbval-executed notebooks alike.

Notebooks write figures/ and results/; under test they write into a temporary folder instead, so
`make test` never rewrites the committed outputs (those come from `make report`). Every notebook
cell nbval collects (lessons, notebooks/appendix/, notebooks/solutions/) is marked ``slow``, as
are the tests named in SLOW_TESTS, so `make test-fast` (``-m "not slow"``) leaves them out.
"""
import os
import tempfile

import pytest

os.environ.setdefault("MOVIEREC_OUTPUT_ROOT", tempfile.mkdtemp(prefix="movierec-test-outputs-"))

#: Tests (``file::function``, every parameter of it) that took 3 s or more under
#: ``pytest --durations=0`` on the shared 2-core machine: long fits, real MovieLens loads, several
#: workers. Tests that use the ``movielens`` fixture (the real data set) are slow too.
SLOW_TESTS = (
    "tests/test_baselines.py::test_ease_auto_needs_validation",
    "tests/test_baselines.py::test_ease_budget_is_a_constructor_argument",
    "tests/test_baselines.py::test_ease_matches_its_closed_form",
    "tests/test_baselines.py::test_ease_max_items_models_the_most_rated_movies_and_never_recommends_the_rest",
    "tests/test_baselines.py::test_ease_refuses_a_movielens_25m_sized_catalogue_at_once_and_names_the_way_out",
    "tests/test_baselines.py::test_exclude_seen_false_allows_rated_movies",
    "tests/test_baselines.py::test_integer_ids_in_test_ratings_are_evaluated_as_strings",
    "tests/test_baselines.py::test_integer_user_ids_are_accepted_as_strings",
    "tests/test_baselines.py::test_k_beyond_the_catalogue_is_capped_at_it",
    "tests/test_baselines.py::test_popularity_on_movielens_reproduces_the_reported_baseline",
    "tests/test_baselines.py::test_popularity_ranks_by_training_counts",
    "tests/test_baselines.py::test_recommend_checks_its_arguments",
    "tests/test_data.py::test_auto_source_falls_back_to_movielens_dir",
    "tests/test_data.py::test_duplicated_ratings_are_refused_with_their_u_data_lines",
    "tests/test_data.py::test_grouplens_folder_gives_the_same_ratings_as_tfds",
    "tests/test_data_readers.py::test_windows_line_breaks_read_the_same_frame",
    "tests/test_data_sizes.py::test_an_ml_1m_folder_gives_the_tfds_1m_schema",
    "tests/test_data_sizes.py::test_an_ml_1m_folder_is_coded_as_tfds_codes_it",
    "tests/test_data_sizes.py::test_compact_movielens_100k_gives_the_same_results",
    "tests/test_data_sizes.py::test_csv_folders_load_with_tfds_coding_and_without_user_features",
    "tests/test_data_sizes.py::test_every_model_input_works_the_same_on_compact_frames",
    "tests/test_distributed.py::test_mirrored_over_two_logical_cpus_matches_single_device",
    "tests/test_distributed.py::test_replica_loss_on_one_device_is_the_two_tower_loss",
    "tests/test_distributed.py::test_two_workers_on_loopback_match_single_process_training",
    "tests/test_dnn.py::test_cold_start_users_are_served_from_their_features",
    "tests/test_dnn.py::test_rating_weight_zero_leaves_the_rating_head_untrained",
    "tests/test_dnn.py::test_recommends_unseen_movies_and_predicts_ratings",
    "tests/test_dnn.py::test_same_seed_same_recommendations",
    "tests/test_dnn.py::test_unknown_user_without_features_is_a_clear_error",
    "tests/test_dnn.py::test_user_feature_frame_has_one_row_per_user",
    "tests/test_evaluation.py::test_a_tiny_block_budget_streams_users_and_gives_identical_metrics",
    "tests/test_evaluation.py::test_evaluate_scores_peak_memory_stays_within_its_block_budget",
    "tests/test_evaluation.py::test_top_k_categorical_accuracy_matches_tfrs_factorized_top_k",
    "tests/test_evaluation.py::test_vectorised_and_frame_paths_agree_with_a_naive_loop",
    "tests/test_lightgcn.py::test_errors",
    "tests/test_lightgcn.py::test_graph_is_built_from_training_ratings_only",
    "tests/test_lightgcn.py::test_propagation_equals_the_layer_mean_of_adjacency_powers",
    "tests/test_lightgcn.py::test_recommends_unseen_movies_and_beats_popularity",
    "tests/test_lightgcn.py::test_same_seed_same_recommendations",
    "tests/test_lightgcn.py::test_the_speed_benchmarks_prototype_computes_the_same_model",
    "tests/test_scaling.py::test_a_run_measures_an_epoch_an_evaluation_and_peak_memory",
    "tests/test_scaling.py::test_a_too_long_epoch_is_projected_from_timed_steps_and_marked",
    "tests/test_synthetic.py::test_users_and_movies_are_plausible_and_named_synthetic",
    "tests/test_two_tower.py::test_early_stopping_keeps_the_best_validation_epoch",
    "tests/test_two_tower.py::test_learns_the_taste_groups_better_than_popularity",
    "tests/test_two_tower.py::test_recommends_k_distinct_unseen_movies",
    "tests/test_two_tower.py::test_same_seed_gives_the_same_recommendations",
    "tests/test_two_tower.py::test_serving_index_refuses_unknown_users_also_after_a_savedmodel_round_trip",
    "tests/test_two_tower.py::test_serving_index_returns_the_models_top_titles",
    "tests/test_two_tower.py::test_unknown_user_and_bad_configuration_are_reported",
)
SLOW_FIXTURES = {"movielens"}

#: The notebooks that take longest first, then the rest, then the unit tests: the two workers
#: take whole files in this order, so the long notebooks are not left to run alone at the end.
#: Order from the per-notebook seconds `make report` prints (04, solutions 02, 02, 01, 03, ...).
LONGEST_FIRST = ("04_comparison", "02_gnn_solutions", "02_gnn", "01_two_tower", "03_dnn",
                 "03_dnn_solutions")


def pytest_collection_modifyitems(config, items):
    slow = set(SLOW_TESTS)
    for item in items:
        if (item.nodeid.split("::")[0].endswith(".ipynb") or item.nodeid.split("[")[0] in slow
                or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))):
            item.add_marker(pytest.mark.slow)

    def position(item):
        path = item.nodeid.split("::")[0]
        if not path.endswith(".ipynb"):
            return 2, 0
        stem = path.rsplit("/", 1)[-1][:-len(".ipynb")]
        return (0, LONGEST_FIRST.index(stem)) if stem in LONGEST_FIRST else (1, 0)

    items.sort(key=position)  # stable: a file's cells keep their order
