"""`certprep-eval`: measure quality on the labelled sets and re-train the mapping models.

Kept out of the product: certprep never imports evaluation/, evaluation imports certprep. Training writes
to the models folder (``CERTPREP_MODELS_DIR``, default ``<data_dir>/models``), which certprep then uses in
place of the shipped models; `--out app/mapping` in a source checkout replaces the shipped ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli import _settings, _user_errors

app = typer.Typer(
    help="Measure quality on the labelled sets in evaluation/ and re-train the mapping models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command("retrieval")
def eval_retrieval(
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON results.")] = None,
) -> None:
    """Recall@1/3/5, MRR@10 and nDCG@10 for dense, BM25 and hybrid, side by side."""
    from evaluation import retrieval

    settings = _settings()
    with _user_errors():
        result = retrieval.run(settings, out or retrieval.RESULTS)
    typer.echo(retrieval.table(result, "dev"))
    typer.echo(retrieval.table(result, "test"))
    typer.echo(f"floor: {json.dumps(result['floor_eval'])}")
    typer.echo(f"results written to {out or retrieval.RESULTS}")


@app.command("answers")
def eval_answers() -> None:
    """Offline answers on the retrieval question set: expected facts, correct sources, faithfulness."""
    from evaluation.answers import RESULTS, run, table

    with _user_errors():
        result = run(_settings())
    typer.echo(table(result))
    typer.echo(f"results written to {RESULTS}")


@app.command("mapping")
def eval_mapping(
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON results.")] = None,
) -> None:
    """Per-standard precision/recall/F1 and macro-F1 on the test split, with keyword and cosine baselines."""
    from evaluation import mapping

    settings = _settings()
    with _user_errors():
        result = mapping.evaluate(settings)
        path = mapping.write(result, out or mapping.RESULTS)
    typer.echo(mapping.table(result))
    typer.echo(f"results written to {path}")


@app.command("generalization")
def eval_generalization(
    program: Annotated[
        str, typer.Option("--program", "-p", help="cpt (its open test sets) or another program's batches.")
    ] = "cpt",
    loso: Annotated[
        bool, typer.Option("--loso", help="CPT: also leave one development style out (fine-tunes 8 times: ~20 min).")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON results.")] = None,
    test_set: Annotated[
        str,
        typer.Option(
            "--test-set",
            help="CPT: an open test set (default the newest: F, results/generalization_F.json). B to E are "
            "retired: training reads them. Every run is a counted look at that set.",
        ),
    ] = "",
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            exists=True,
            file_okay=False,
            help="CPT: a sentence model's folder (evidence/) to measure beside the engine in the same run, e.g. "
            "the model shipped before a change (`previous_engine`).",
        ),
    ] = None,
) -> None:
    """The mapping engine on independent test batches, per style and standard, with baselines."""
    from evaluation import generalization
    from evaluation.independent_data import RETIRED, open_test_sets

    test_set = test_set or max(open_test_sets())
    if program == generalization.PROGRAM and test_set in RETIRED:
        raise typer.BadParameter(
            f"{test_set}-* is development data now (a retired test set: training reads it); its results file is "
            f"the record of its looks. Open test sets: {sorted(open_test_sets())}"
        )
    if program == generalization.PROGRAM and test_set not in open_test_sets():
        raise typer.BadParameter(f"--test-set must be one of {sorted(open_test_sets())}, not {test_set!r}")
    settings = _settings()
    path = out or generalization.results_path(program, test_set)
    with _user_errors():
        previous = generalization.previous_result(path)
        if program == generalization.PROGRAM:
            result = generalization.evaluate(settings, previous, test_set, compare)
            if loso:
                result["loso_dev"] = generalization.leave_one_style_out(settings, log=lambda s: typer.echo(s, err=True))
        else:
            result = generalization.evaluate_program(settings, program, previous)
        generalization.write(result, path)
    typer.echo(generalization.table(result))
    typer.echo(f"results written to {path}")


@app.command("reviews")
def eval_reviews(
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON results.")] = None,
) -> None:
    """Reviewer verdicts end to end: independent drafts reviewed blind through the store's rules, exported,
    learnt from (re-trains the sentence model's three members: ~90 min), and the held-out figures with and
    without them."""
    from evaluation import reviews

    settings = _settings()
    with _user_errors():
        result = reviews.run(settings, log=lambda s: typer.echo(s, err=True))
        path = reviews.write(result, out or reviews.RESULTS)
    held = result["held_out_test"]
    for name in ("shipped", "with_reviews"):
        row = held[name]
        typer.echo(
            f"{name:<13} {held['test_set']}-* macro-F1 {row['macro_f1']}  worst style {row['worst_style']} "
            f"{row['worst_style_macro_f1']}  hard negatives marked {row['hard_negatives_marked_demonstrated']}"
        )
    typer.echo(f"results written to {path}")


@app.command("train")
def train_cmd(
    passage_only: bool = typer.Option(
        False, "--passage-only", help="Refit only the passage model (about 90 s), not the sentence model."
    ),
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for model.json and evidence/ (default: the models folder certprep reads)."),
    ] = None,
    program: Annotated[
        str | None,
        typer.Option(
            "--program",
            "-p",
            help="Only this program's sentence model, from its development batches (e.g. pmp: PD-* authors).",
        ),
    ] = None,
    reviews: Annotated[
        Path | None,
        typer.Option(
            "--reviews",
            exists=True,
            dir_okay=False,
            help="Also learn from reviewers' verdicts exported by `certprep reviews export` (only workspaces whose "
            "owners allowed it are in such a file).",
        ),
    ] = None,
    single: Annotated[
        bool,
        typer.Option(
            "--single",
            help="Fine-tune one member (seed 0, without the helpers' rewrites) instead of the program's members "
            "(CPT: three, about 90 minutes): the method before issue 19's ensemble, for comparison.",
        ),
    ] = False,
    no_cv: Annotated[
        bool,
        typer.Option(
            "--no-cv",
            help="Fit the members on all development data without cross-validating them (CPT: about 30 minutes "
            "instead of two hours); the thresholds are the ones the committed out-of-fold probabilities choose.",
        ),
    ] = False,
) -> None:
    """Fit the narrative-mapping models: the passage model (model.json, every program) and the CPT sentence
    evidence model (evidence/: three fine-tuned members, about 90 minutes on 2 cores); or with --program one program's
    sentence model."""
    from app.mapping.classifier import load_model
    from app.mapping.evidence import forget_loaded
    from evaluation.train_evidence import SINGLE, train_evidence
    from evaluation.train_mapping import train

    settings = _settings()
    folder = out or settings.trained_models_dir
    folder.mkdir(parents=True, exist_ok=True)
    with _user_errors():
        if program is not None:
            summary = {
                "folder": str(folder),
                "evidence_model": train_evidence(
                    settings,
                    folder / "evidence",
                    log=lambda line: typer.echo(line, err=True),
                    program=program,
                    reviews=reviews,
                    members=SINGLE if single else None,
                    cv=not no_cv,
                ),
            }
            forget_loaded()
            typer.echo(json.dumps(summary, indent=2, default=str))
            return
        summary = {"folder": str(folder), "passage_model": train(settings, folder / "model.json")}
        load_model.cache_clear()
        if not passage_only:
            summary["evidence_model"] = train_evidence(
                settings,
                folder / "evidence",
                log=lambda line: typer.echo(line, err=True),
                reviews=reviews,
                members=SINGLE if single else None,
                cv=not no_cv,
            )
            forget_loaded()
    typer.echo(json.dumps(summary, indent=2, default=str))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
