"""The HTML report a student can hand in: ``report/index.html`` and two views of each notebook.

The index reads as a report — title, abstract, the results table (the README's, from
``results/summary.json``), key findings, captioned figures, then the notebooks. Every number in
it is read from ``results/*.json`` when the page is built, and every sentence that compares
models is chosen by the numbers (a difference whose paired 95% interval contains zero is called
a tie), so the page stays true when a new run changes the results. It is a single file with the
figures embedded and no external resources, so it opens offline.

Each notebook gets a full view (``<notebook>.html``) and a reading view with the code hidden
(``<notebook>-reading.html``).
"""
from __future__ import annotations

import base64
import html
import re
from datetime import datetime
from pathlib import Path

from movierec_utils import summary as summary_module
from movierec_utils.paths import output_dir, project_root
from movierec_utils.results import load_results

#: Figure captions by file stem, in the order the report shows them (the comparison first).
#: They say what a figure shows, never its numbers, so they stay true after a re-run.
FIGURE_CAPTIONS = {
    "04_comparison_ndcg": "NDCG@10 of every model on the test part, mean ± standard deviation "
                          "over the split seeds (error bars).",
    "04_comparison_per_user": "Where the neural models differ from EASE: mean per-user NDCG@10 "
                              "minus EASE's, by how many training ratings a user has (first "
                              "split).",
    "04_comparison_overlap": "How alike the models' top-10 lists are: mean Jaccard overlap of "
                             "two models' lists for the same user.",
    "04_comparison_scaling": "Training cost per rating as the data grows from 100k to 25M "
                             "MovieLens-shaped synthetic ratings (log–log; a flat line is cost "
                             "linear in the data; hollow points are projected from timed steps; "
                             "measured by benchmarks/scaling.py).",
    "00_dataset_overview": "MovieLens 100k: how users rate, the long tail of movie popularity "
                           "(log–log) and how many ratings each user has.",
    "00_baselines": "The baselines — random, popularity and EASE — on the stratified test "
                    "split: the bar every neural model has to clear.",
    "01_two_tower_ablation": "Two-tower variants on validation data: the original in-batch "
                             "objective, the log-Q correction, the full softmax, and ReLU "
                             "against linear towers; popularity and EASE for reference.",
    "01_two_tower_learning_curves": "The chosen two-tower model: mean training loss and "
                                    "validation NDCG@10 per epoch; the dotted line is the "
                                    "epoch early stopping kept.",
    "01_two_tower_stopping": "How long to train the two-tower model: validation NDCG@10 per "
                             "epoch on three splits, with the epoch the stopping rule keeps.",
    "02_gnn_degree_distributions": "The training graph: how many ratings each user and each "
                                   "movie has (log scales).",
    "02_gnn_layer_ablation": "LightGCN by number of propagation layers, each depth tuned: "
                             "validation NDCG@10 minus that of 0 layers (matrix "
                             "factorisation).",
    "02_gnn_learning_curves": "The chosen LightGCN: mean training loss and validation NDCG@10 "
                              "per epoch; the dotted line is the epoch early stopping kept.",
    "02_gnn_speed": "Seconds per LightGCN training epoch: the unoptimised prototype, the "
                    "compiled model with the prototype's loss and batches, and the model as "
                    "configured (measured by benchmarks/lightgcn_speed.py).",
    "02_gnn_stopping": "How long to train LightGCN: validation NDCG@10 per epoch on three "
                       "splits, with the epoch the stopping rule keeps.",
    "03_dnn_seed_diagnosis": "Why the original deep model did not learn: validation NDCG@10 per "
                             "epoch as the batch size and then the loss change, one at a time; "
                             "dotted: popularity.",
    "03_dnn_ablations": "The deep model on validation data: each variant's NDCG@10 minus the "
                        "reference configuration's, with 95% intervals from resampling users.",
    "03_dnn_learning_curves": "The chosen deep model: mean training loss and validation NDCG@10 "
                              "per epoch; the dotted line is the epoch early stopping kept.",
    "03_dnn_recommendation_profile": "Users 55 and 100: average rating and popularity of the "
                                     "movies in their history, in the deep model's top-10 and "
                                     "in popularity's top-10.",
    "03_dnn_stopping": "How long to train the deep model: validation NDCG@10 per epoch on three "
                       "splits, with the epoch the stopping rule keeps.",
}

STYLE = """
:root { --ink: #1d2330; --muted: #5b6475; --rule: #dde1e8; --accent: #1f5fa8; --paper: #fff;
        --shade: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--shade); color: var(--ink);
       font: 16px/1.6 Georgia, "Times New Roman", serif; }
main { max-width: 60rem; margin: 2rem auto; padding: 2.5rem; background: var(--paper);
       box-shadow: 0 1px 4px rgba(0, 0, 0, .08); }
h1, h2, h3, nav, table, figcaption, .meta, .views {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 .4rem; }
h2 { font-size: 1.3rem; margin: 2.4rem 0 .8rem; padding-bottom: .3rem;
     border-bottom: 1px solid var(--rule); }
.meta { color: var(--muted); font-size: .85rem; margin: 0; }
nav { font-size: .9rem; margin: 1.2rem 0 0; }
nav a { margin-right: 1rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.abstract { background: var(--shade); border-left: 3px solid var(--accent); padding: .8rem 1.2rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: .82rem; width: 100%; margin: .5rem 0; }
th, td { padding: .35rem .45rem; text-align: right; border-bottom: 1px solid var(--rule); }
td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; min-width: 8rem; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; }
tbody tr:hover { background: var(--shade); }
.note { color: var(--muted); font-size: .85rem; }
.findings li { margin-bottom: .7rem; }
.source { color: var(--muted); font-size: .8rem; font-family: ui-monospace, monospace; }
figure { margin: 1.8rem 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figure + figure { border-top: 1px solid var(--rule); padding-top: 1.8rem; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .5rem; }
figcaption b { color: var(--ink); }
.views td, .views th { white-space: normal; text-align: left; }
code { font-family: ui-monospace, monospace; font-size: .9em; }
@media (max-width: 40rem) { main { padding: 1.2rem; margin: 0; } }
@media print { body { background: none; } main { box-shadow: none; margin: 0; } }
"""


# --- the notebook pages ------------------------------------------------------------------------

def write_notebook_pages(notebooks: dict, report: Path) -> None:
    """``<stem>.html`` (everything) and ``<stem>-reading.html`` (code and prompts hidden)."""
    from nbconvert import HTMLExporter

    full = HTMLExporter(embed_images=True)
    reading = HTMLExporter(embed_images=True, exclude_input=True, exclude_input_prompt=True,
                           exclude_output_prompt=True)
    for path, notebook in notebooks.items():
        for exporter, name in ((full, full_view(path)), (reading, reading_view(path))):
            body, _ = exporter.from_notebook_node(notebook)
            (report / name).write_text(body, encoding="utf-8")


def full_view(path: Path) -> str:
    return f"{path.stem}.html"


def reading_view(path: Path) -> str:
    return f"{path.stem}-reading.html"


def notebook_title(notebook, path: Path) -> str:
    """The first markdown heading ``# …`` of a notebook, else its file name."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return path.stem


# --- numbers and verdicts from results/*.json --------------------------------------------------

def label(name: str) -> str:
    """A model's name as the README table shows it, escaped for HTML."""
    return html.escape(summary_module.LABELS.get(name, name))


def mean_std(stats: dict) -> str:
    return f"{stats['mean']:.3f} ± {stats['std']:.3f}"


def seed_list(seeds) -> str:
    seeds = [str(seed) for seed in seeds]
    return seeds[0] if len(seeds) == 1 else ", ".join(seeds[:-1]) + " and " + seeds[-1]


def excludes_zero(low: float, high: float) -> bool:
    """The rule notebook 04 uses: a difference is real when its 95% interval excludes zero."""
    return low > 0 or high < 0


def paired_test(summary: dict, first: str, second: str) -> dict | None:
    """The paired test of ``first − second`` from summary.json (sign flipped if it was stored as
    ``second − first``), or None when notebook 04 did not compare these two."""
    for test in summary.get("paired_tests", []):
        names = [part.strip() for part in test["comparison"].split("−")]
        if names == [label(first), label(second)]:
            return dict(test)
        if names == [label(second), label(first)]:
            return {**test, "mean difference": -test["mean difference"],
                    "95% CI low": -test["95% CI high"], "95% CI high": -test["95% CI low"],
                    "users better / worse": " / ".join(
                        reversed(test["users better / worse"].split(" / ")))}
    return None


def on_seed(summary: dict) -> str:
    """`` on split seed 42`` — the split notebook 04 ran its paired tests on, when recorded."""
    seed = summary.get("paired_tests_seed")
    return f" on split seed {seed}" if seed is not None else ""


def paired_evidence(summary: dict, test: dict) -> str:
    return (f"per-user difference{on_seed(summary)} {test['mean difference']:+.4f}, 95% CI "
            f"{test['95% CI low']:+.4f} to {test['95% CI high']:+.4f}, Wilcoxon p = "
            f"{test['Wilcoxon p']:.2g}")


def tied_with(summary: dict, leader: str, other: str) -> bool:
    """Whether ``other`` is statistically indistinguishable from ``leader`` on NDCG@10: by the
    paired test when notebook 04 ran one, else by overlapping mean ± std over the seeds."""
    test = paired_test(summary, leader, other)
    if test:
        return not excludes_zero(test["95% CI low"], test["95% CI high"])
    a, b = summary["models"][leader]["ndcg@10"], summary["models"][other]["ndcg@10"]
    return abs(a["mean"] - b["mean"]) <= a["std"] + b["std"]


def ranking(summary: dict) -> list[str]:
    """Model names by mean NDCG@10 over the seeds, best first."""
    return sorted(summary["models"], key=lambda name: -summary["models"][name]["ndcg@10"]["mean"])


def top_group(summary: dict) -> list[str]:
    """The most accurate model and every model tied with it."""
    leader, *others = ranking(summary)
    return [leader] + [name for name in others if tied_with(summary, leader, name)]


# --- the findings ------------------------------------------------------------------------------

def finding_accuracy(summary: dict) -> str:
    leader, *rest = ranking(summary)
    models, seeds = summary["models"], seed_list(summary["split_seeds"])
    group = top_group(summary)
    if len(group) == 1:
        closest = rest[0]
        test = paired_test(summary, leader, closest)
        evidence = paired_evidence(summary, test) if test else "mean ± std do not overlap"
        return (f"<b>Most accurate.</b> {label(leader)} has the highest mean NDCG@10 over split "
                f"seeds {seeds}, {mean_std(models[leader]['ndcg@10'])}, ahead of every other "
                f"model: the closest, {label(closest)} "
                f"({mean_std(models[closest]['ndcg@10'])}), trails it ({evidence}).")
    scores = "; ".join(f"{label(name)} {mean_std(models[name]['ndcg@10'])}" for name in group)
    evidence = []
    for name in group[1:]:
        test = paired_test(summary, leader, name)
        evidence.append(f"{label(leader)} − {label(name)}: "
                        + (paired_evidence(summary, test) if test else "mean ± std overlap"))
    return (f"<b>Most accurate.</b> {' and '.join(label(name) for name in group)} tie for the "
            f"highest NDCG@10 over split seeds {seeds} ({scores}). The difference is within "
            f"noise ({'; '.join(evidence)}), so there is no single winner.")


def finding_other_comparisons(summary: dict) -> str | None:
    """The paired tests not in the other findings: models really ahead of or behind the leader."""
    leader, group = ranking(summary)[0], top_group(summary)
    others = [name for name in ranking(summary) if name not in group and name != "popularity"
              and paired_test(summary, leader, name)]
    sentences = []
    for verb, wanted in (("beats", True), ("trails", False)):
        parts = []
        for name in others:
            test = paired_test(summary, leader, name)
            if (test["mean difference"] > 0) != wanted:
                continue
            better, worse = test["users better / worse"].split(" / ")
            parts.append(f"{label(name)} by {abs(test['mean difference']):.4f} NDCG@10 (95% CI "
                         f"{test['95% CI low']:+.4f} to {test['95% CI high']:+.4f}, p = "
                         f"{test['Wilcoxon p']:.2g}; {better} users better served, {worse} worse)")
        if parts:
            sentences.append(f"{label(leader)} {verb} " + " and ".join(parts) + ".")
    if not sentences:
        return None
    return (f"<b>Real differences.</b> Compared user by user{on_seed(summary)}: "
            + " ".join(sentences))


def finding_popularity(summary: dict) -> str | None:
    models = summary["models"]
    best = ranking(summary)[0]
    if "popularity" not in models:
        return None
    popularity = models["popularity"]
    if best == "popularity":
        return ("<b>Against popularity.</b> No model beats recommending the most-rated movies: "
                f"Popularity has the highest mean NDCG@10, {mean_std(popularity['ndcg@10'])}.")
    ratio = models[best]["ndcg@10"]["mean"] / popularity["ndcg@10"]["mean"]
    sentence = (f"<b>Against popularity.</b> Recommending the most-rated movies reaches NDCG@10 "
                f"{mean_std(popularity['ndcg@10'])} while covering "
                f"{popularity['coverage@10']['mean']:.1%} of the catalogue; {label(best)} "
                f"reaches {ratio:.2f}× that")
    test = paired_test(summary, best, "popularity")
    if test:
        better, worse = test["users better / worse"].split(" / ")
        sentence += (f" and serves {better} users better and {worse} worse{on_seed(summary)} "
                     f"(Wilcoxon p = {test['Wilcoxon p']:.2g})")
    return sentence + "."


def duration(seconds: float) -> str:
    """``9.4 s``, and two significant digits below a second (``0.049 s``), never ``0.0 s``."""
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2g} s"


def finding_cost(summary: dict) -> str:
    models = summary["models"]
    seconds = {name: models[name]["train_seconds"]["mean"] for name in models}
    listing = ", ".join(f"{label(name)} {duration(seconds[name])}"
                        for name in sorted(seconds, key=seconds.get))
    sentence = f"<b>Training cost</b> (seconds per fit, mean over the seeds): {listing}."
    group = top_group(summary)
    cheapest = min(group, key=seconds.get)
    dearest = max(group, key=seconds.get)
    if cheapest != dearest and seconds[cheapest] > 0:
        sentence += (f" Among the most accurate, {label(cheapest)} trains "
                     f"{seconds[dearest] / seconds[cheapest]:.2g}× faster than "
                     f"{label(dearest)} for the same accuracy.")
    return sentence


def finding_coverage(summary: dict) -> str:
    models = summary["models"]
    coverage = {name: models[name]["coverage@10"] for name in models}
    order = sorted(coverage, key=lambda name: coverage[name]["mean"])
    leader = ranking(summary)[0]
    sentence = (f"<b>Beyond accuracy.</b> Catalogue coverage@10 (share of movies recommended to "
                f"anyone) ranges from {mean_std(coverage[order[0]])} ({label(order[0])}) to "
                f"{mean_std(coverage[order[-1]])} ({label(order[-1])})")
    if leader not in (order[0], order[-1]):
        sentence += f"; the most accurate, {label(leader)}, covers {mean_std(coverage[leader])}"
    return sentence + "."


def finding_cold_start(dnn: dict | None) -> str | None:
    metrics = (dnn or {}).get("metrics", {})
    needed = ("cold_start", "cold_start_popularity", "cold_start_ndcg_difference_ci95")
    if not all(key in metrics for key in needed):
        return None
    low, high = metrics["cold_start_ndcg_difference_ci95"]
    difference = metrics["cold_start"] - metrics["cold_start_popularity"]
    users = f" {metrics['cold_start_users']}" if "cold_start_users" in metrics else ""
    verdict = ("no better than popularity" if not excludes_zero(low, high) else
               "better than popularity" if difference > 0 else "worse than popularity")
    return (f"<b>New users.</b> For the{users} users held out as new (cold start), the deep model "
            f"with features scores NDCG@10 {metrics['cold_start']:.3f} against popularity's "
            f"{metrics['cold_start_popularity']:.3f}: a difference of {difference:+.4f} (95% CI "
            f"{low:+.4f} to {high:+.4f}), {verdict}.")


def finding_original_recipe(two_tower: dict | None) -> str | None:
    metrics = (two_tower or {}).get("metrics", {})
    if "original_recipe_test" not in metrics or "test" not in metrics:
        return None
    original, ours = metrics["original_recipe_test"]["ndcg@10"], metrics["test"]["ndcg@10"]
    return (f"<b>The original recipe.</b> On the same test split the original two-tower recipe "
            f"scores NDCG@10 {original:.3f}; the configuration chosen on validation data scores "
            f"{ours:.3f} ({ours / original:.1f}× as high).")


def findings(results: dict[str, dict | None]) -> list[tuple[str, str]]:
    """``(sentence HTML, source file)`` for every finding the available results support."""
    summary = results.get("summary")
    candidates = []
    if summary:
        candidates += [(finding(summary), "results/summary.json") for finding in
                       (finding_accuracy, finding_other_comparisons, finding_popularity,
                        finding_cost, finding_coverage)]
    candidates += [(finding_original_recipe(results.get("two_tower")), "results/two_tower.json"),
                   (finding_cold_start(results.get("dnn")), "results/dnn.json")]
    return [(sentence, source) for sentence, source in candidates if sentence]


def abstract(summary: dict | None) -> str:
    if not summary:
        return ("No comparison yet: <code>results/summary.json</code> is written by notebook 04. "
                "Run <code>make report</code> to execute the notebooks.")
    models = summary["models"]
    runs = summary.get("runs") or [{}]
    users = f" {runs[0]['n_users']:,}" if "n_users" in runs[0] else ""
    group = top_group(summary)
    names = ", ".join(label(name) for name in models)  # already escaped
    if len(group) == 1:
        outcome = (f"The most accurate is {label(group[0])}, with NDCG@10 "
                   f"{mean_std(models[group[0]]['ndcg@10'])}.")
    else:
        outcome = (f"{' and '.join(label(name) for name in group)} tie for the highest NDCG@10 ("
                   + " and ".join(mean_std(models[name]["ndcg@10"]) for name in group)
                   + "); the findings below weigh what else separates them.")
    return (f"This report compares {len(models)} movie recommenders — {names} — trained on "
            f"MovieLens 100k and evaluated by ranking every movie for each of the{users} users, "
            f"with the movies a user rated in training masked: a per-user "
            f"{summary['ratio']:.0%} / {1 - summary['ratio']:.0%} split, k = {summary['k']}, "
            f"repeated over split seeds {seed_list(summary['split_seeds'])}. {outcome}")


def results_table(summary: dict | None) -> str:
    """The README's results table (the same code renders both), as HTML."""
    if not summary:
        return ""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    table = markdown2html_mistune(summary_module.readme_table(summary))
    table = table.replace("<table>", '<div class="table-wrap"><table>', 1)
    table = table.replace("</table>", "</table></div>", 1)
    return table.replace("<p>", '<p class="note">', 1)


def paired_tests_table(summary: dict | None) -> str:
    tests = (summary or {}).get("paired_tests")
    if not tests:
        return ""
    rows = "\n".join(
        f"<tr><td>{html.escape(test['comparison'])}</td><td>{test['mean difference']:+.4f}</td>"
        f"<td>{test['95% CI low']:+.4f} to {test['95% CI high']:+.4f}</td>"
        f"<td>{test['Wilcoxon p']:.2g}</td><td>{html.escape(test['users better / worse'])}</td>"
        f"<td>{'real' if excludes_zero(test['95% CI low'], test['95% CI high']) else 'tie'}"
        f"</td></tr>" for test in tests)
    return (f"<h3>Paired tests, user by user{on_seed(summary)}</h3>"
            '<div class="table-wrap"><table><thead><tr><th>NDCG@10 difference</th><th>mean</th>'
            "<th>95% CI</th><th>Wilcoxon p</th><th>users better / worse</th><th>verdict</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></div>"
            '<p class="note">A difference is called real when its bootstrap 95% confidence '
            "interval excludes zero, else a tie.</p>")


# --- figures and notebooks ---------------------------------------------------------------------

def figure_files() -> list[Path]:
    """The PNGs in ``figures/``: those of the output folder, and the committed ones it lacks
    (the same precedence as :func:`movierec_utils.results.load_results`)."""
    files = {path.name: path for folder in (project_root() / "figures", output_dir("figures"))
             for path in sorted(folder.glob("*.png"))}
    return list(files.values())


def figure_order(figures: list[Path]) -> list[Path]:
    """Captioned figures in the order of :data:`FIGURE_CAPTIONS`, then any others by name."""
    position = {stem: number for number, stem in enumerate(FIGURE_CAPTIONS)}
    return sorted(figures, key=lambda path: (position.get(path.stem, len(position)), path.stem))


def figure_notebook(stem: str, notebooks: dict) -> Path | None:
    """The notebook that wrote a figure: figures are named ``<notebook number>_…``."""
    return next((path for path in notebooks if path.name[:3] == stem[:3]), None)


def figure_caption(stem: str, notebooks: dict) -> str:
    """The caption of :data:`FIGURE_CAPTIONS`, else one made from the file and notebook names."""
    if stem in FIGURE_CAPTIONS:
        return FIGURE_CAPTIONS[stem]
    words = re.sub(r"^\d+_", "", stem).replace("_", " ")
    source = figure_notebook(stem, notebooks)
    origin = f" (from {notebook_title(notebooks[source], source)})" if source else ""
    return f"{words[:1].upper()}{words[1:]}{origin}."


def figure_html(number: int, path: Path, notebooks: dict) -> str:
    image = base64.b64encode(path.read_bytes()).decode()
    source = figure_notebook(path.stem, notebooks)
    link = (f' <a href="{reading_view(source)}">Notebook {source.name[:2]}</a>.'
            if source else "")
    return (f'<figure id="{path.stem}"><img src="data:image/png;base64,{image}" '
            f'alt="{html.escape(path.stem)}"><figcaption><b>Figure {number}.</b> '
            f"{html.escape(figure_caption(path.stem, notebooks))}{link}</figcaption></figure>")


def notebooks_table(notebooks: dict, timings: dict[str, float]) -> str:
    """Title and both views of each notebook, with its run time when this run executed it."""
    header = "<th>notebook</th><th>text, tables, figures</th><th>everything</th>"
    rows = []
    for path, notebook in notebooks.items():
        cells = (f"<td>{html.escape(notebook_title(notebook, path))}</td>"
                 f'<td><a href="{reading_view(path)}">reading view</a></td>'
                 f'<td><a href="{full_view(path)}">full view with code</a></td>')
        if timings:
            seconds = timings.get(path.stem)
            cells += f"<td>{duration(seconds) if seconds is not None else 'not run'}</td>"
        rows.append(f"<tr>{cells}</tr>")
    if timings:
        header += "<th>run time</th>"
    return (f'<div class="table-wrap"><table class="views"><thead><tr>{header}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            '<p class="note">The reading view shows the text, tables and figures of a notebook '
            "with its code hidden; the full view shows everything.</p>")


def project_title() -> str:
    """The first line of README.md (``# …``): the project's one title."""
    readme = project_root() / "README.md"
    first = readme.read_text(encoding="utf-8").split("\n", 1)[0] if readme.is_file() else ""
    return first.lstrip("# ").strip() or project_root().name


# --- the page ----------------------------------------------------------------------------------

def index_page(notebooks: dict, timings: dict[str, float], results: dict,
               figures: list[Path]) -> str:
    summary = results.get("summary")
    items = "\n".join(f'<li>{sentence} <span class="source">{source}</span></li>'
                      for sentence, source in findings(results))
    figure_blocks = "\n".join(figure_html(number, path, notebooks)
                              for number, path in enumerate(figure_order(figures), 1))
    title = html.escape(project_title())
    built = datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{STYLE}</style></head>
<body><main>
<header><h1>{title}</h1>
<p class="meta">Report built {built} from <code>results/*.json</code>, <code>figures/</code> and
<code>notebooks/</code>.</p>
<nav><a href="#abstract">Abstract</a><a href="#results">Results</a><a href="#findings">Key
findings</a><a href="#figures">Figures</a><a href="#notebooks">Notebooks</a></nav></header>
<section id="abstract"><h2>Abstract</h2><p class="abstract">{abstract(summary)}</p></section>
<section id="results"><h2>Results</h2>
{results_table(summary) or '<p>No <code>results/summary.json</code> yet.</p>'}
{paired_tests_table(summary)}</section>
<section id="findings"><h2>Key findings</h2><ol class="findings">
{items or '<li>No results yet: run <code>make report</code>.</li>'}
</ol></section>
<section id="figures"><h2>Figures</h2>
{figure_blocks or '<p>No figures yet: the notebooks write them to <code>figures/</code>.</p>'}
</section>
<section id="notebooks"><h2>Notebooks</h2>
{notebooks_table(notebooks, timings)}</section>
</main></body></html>
"""


def build_html(notebooks: dict, timings: dict[str, float]) -> Path:
    """``report/index.html`` and both views of each notebook; returns the index."""
    report = output_dir("report")
    write_notebook_pages(notebooks, report)
    results = {name: load_results(name) for name in ("summary", "two_tower", "dnn")}
    index = report / "index.html"
    index.write_text(index_page(notebooks, timings, results, figure_files()), encoding="utf-8")
    return index
