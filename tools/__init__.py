"""The project's build machinery, kept out of the ``movierec_utils`` package the lessons import.

Run from the repository root (the Makefile does):

    python -m tools.report     # make report: execute every notebook, publish, README blocks, book
    python -m tools.book       # make book: rebuild the Jupyter Book from the executed notebooks
    python -m tools.export     # make export: model modules from the notebooks' export cells
    python -m tools.colab URL  # make colab: the Colab badge and setup cell in every notebook
"""
