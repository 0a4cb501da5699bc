"""DeepDiff against the authors' code on their sample data: test Pearson r and seconds per epoch.

Trains chromexpr's ``DeepDiff`` and the authors' ``train.py`` (github.com/QData/DeepDiffChrome,
``--model_name=raw_aux_siamese``, the model chromexpr's follows) on the same pair of cells, the
same train / valid / test genes and the same recipe (``DeepDiff.PUBLISHED_RECIPE``: Adam 1e-4,
batch 10, gradient-norm clip 1, the epoch with the best validation Pearson r kept), one CPU
thread each, once per seed, and prints each one's test Pearson r of the log2 fold change (mean,
standard deviation and range over the seeds) and seconds per epoch (training and validation).

``--data`` is a folder in the authors' sample layout (their ``data/``, read by
``chromexpr.io.deepdiff_data``); ``--authors`` their checkout, run as it is (a subprocess of
this script) under this environment: modules their files import and never use (``torchvision``,
``six``) are stubbed where absent, their whole-model checkpoint is loaded with
``weights_only=False`` (PyTorch >= 2.6 refuses it otherwise), and their fixed
``torch.manual_seed(1)`` takes the seed of the run. Before training, their model's weights are
copied into chromexpr's and both score the first test genes: the outputs, attention and loss
must agree. The negative control is chromexpr's model before training (the same seed's initial
weights), which must score far below both trained models. ``--jobs`` runs that many trainings at once (one
thread each; they then share the machine, which slows each epoch). Nothing is downloaded.

    .venv/bin/python benchmarks/deepdiff.py --data DeepDiffChrome/data --authors DeepDiffChrome
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import math
import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
import time
import types
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from chromexpr.evaluation import correlations
from chromexpr.io.deepdiff_data import PairSplit, differential_targets, read_pair
from chromexpr.models import count_parameters
from chromexpr.models.deepdiff import DeepDiff

RECIPE = DeepDiff.PUBLISHED_RECIPE
AUTHORS_MODEL = "raw_aux_siamese"
# Their module names -> chromexpr's (state_dict keys), for the forward check.
AUTHORS_NAMES = {
    "rnn_hmsx.": "raw_encoders.",
    "rnn_hms.": "siamese_encoders.",
    "hm_level_rnn_1x.": "mark_encoder_difference.",
    "hm_level_rnn_1.": "mark_encoder_a.",
    "hm_level_rnn_2.": "mark_encoder_b.",
    "f1_1.": "head_a.",
    "f2_1.": "head_b.",
    "predictor_.": "head_difference.",
}
CHECK_GENES = 10


def tensors(split: PairSplit) -> tuple[torch.Tensor, ...]:
    """counts A, counts B [genes, marks, bins], targets difference, A, B [genes]."""
    targets = differential_targets(split.expression_a, split.expression_b)
    return (
        torch.from_numpy(split.counts_a),
        torch.from_numpy(split.counts_b),
        *(torch.from_numpy(target.astype(np.float32)) for target in targets),
    )


def predict(model: DeepDiff, counts_a: torch.Tensor, counts_b: torch.Tensor) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return model(counts_a, counts_b)["difference"].numpy()


def train_chromexpr(pair: dict[str, PairSplit], seed: int, epochs: int) -> dict[str, float]:
    """chromexpr's DeepDiff under the authors' recipe: test r, best epoch, seconds per epoch,
    and the test r of its initial weights (``untrained_r``)."""
    torch.manual_seed(seed)
    data = {split: tensors(pair[split]) for split in pair}
    counts_a, counts_b, *targets = data["train"]
    test_a, test_b, test_difference, _, _ = data["test"]
    model = DeepDiff(n_marks=counts_a.shape[1], n_bins=counts_a.shape[2])
    untrained_r = correlations(test_difference.numpy(), predict(model, test_a, test_b))["pearson"]
    optimizer = torch.optim.Adam(model.parameters(), lr=RECIPE["learning_rate"])
    best_r, best_epoch, best_state, seconds = -math.inf, 0, None, []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        for batch in torch.randperm(len(counts_a)).split(RECIPE["batch_size"]):
            optimizer.zero_grad()
            outputs = model(counts_a[batch], counts_b[batch])
            model.loss(outputs, *(target[batch] for target in targets)).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), RECIPE["grad_clip"])
            optimizer.step()
        valid_a, valid_b, valid_difference, _, _ = data["valid"]
        valid_r = correlations(valid_difference.numpy(), predict(model, valid_a, valid_b))
        if valid_r["pearson"] >= best_r:  # the authors' rule: a tie goes to the later epoch
            best_r, best_epoch = valid_r["pearson"], epoch
            best_state = copy.deepcopy(model.state_dict())
        seconds.append(time.perf_counter() - started)
    model.load_state_dict(best_state)
    test_r = correlations(test_difference.numpy(), predict(model, test_a, test_b))["pearson"]
    return {
        "test_r": test_r,
        "best_epoch": best_epoch,
        "seconds": float(np.mean(seconds)),
        "untrained_r": untrained_r,
    }


def stub_unused_modules() -> None:
    """Install empty ``torchvision`` and ``six.moves`` where absent: the authors' files import
    them (``from torchvision import transforms``, ``from six.moves import xrange``) and use
    neither beyond ``xrange``."""
    if importlib.util.find_spec("torchvision") is None:
        torchvision = types.ModuleType("torchvision")
        torchvision.datasets = torchvision.transforms = torchvision.utils = None
        sys.modules["torchvision"] = torchvision
    if importlib.util.find_spec("six") is None:
        six, moves = types.ModuleType("six"), types.ModuleType("six.moves")
        moves.xrange = range
        six.moves = moves
        sys.modules.update({"six": six, "six.moves": moves})


def run_authors_train(checkout: str, seed: int, arguments: list[str]) -> None:
    """Run their ``train.py`` in this process (the subprocess of ``train_authors``)."""
    stub_unused_modules()
    torch.set_num_threads(1)
    torch.load = _loading_whole_models(torch.load)
    seed_generator = torch.manual_seed
    torch.manual_seed = lambda _fixed: seed_generator(seed)
    sys.path.insert(0, checkout)
    sys.argv = ["train.py", *arguments]
    runpy.run_path(str(Path(checkout) / "train.py"), run_name="__main__")


def _loading_whole_models(load):
    def load_whole_model(*args, **kwargs):
        return load(*args, **{**kwargs, "weights_only": False})

    return load_whole_model


def train_authors(
    checkout: Path, data: Path, cells: tuple[str, str], seed: int, epochs: int
) -> dict[str, float]:
    """Their train.py in a subprocess: test r, best epoch, seconds per epoch (the time between
    the lines that open consecutive epochs, and from the last to ``finished training``)."""
    with tempfile.TemporaryDirectory() as save_root:
        command = [
            sys.executable,
            "-u",
            __file__,
            "_authors_train",
            str(checkout),
            str(seed),
            f"--model_name={AUTHORS_MODEL}",
            f"--cell_1={cells[0]}",
            f"--cell_2={cells[1]}",
            f"--epochs={epochs}",
            f"--lr={RECIPE['learning_rate']}",
            f"--batch_size={RECIPE['batch_size']}",
            f"--clip={RECIPE['grad_clip']}",
            f"--data_root={data.resolve()}/",
            f"--save_root={save_root}/",
        ]
        environment = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        marks, valid_r, test_r = [], [], None
        with (
            tempfile.TemporaryFile("w+") as errors,
            subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=errors, text=True, env=environment
            ) as process,
        ):
            for line in process.stdout:
                if line.startswith(("=---", "finished training")):  # an epoch opens or ends
                    marks.append(time.perf_counter())
                elif line.startswith("valid R2:"):
                    valid_r.append(float(line.split(":")[1]))
                elif line.startswith("test R2:"):
                    test_r = float(line.split(":")[1])
            if process.wait() or test_r is None:
                errors.seek(0)
                tail = errors.read()[-2000:]
                raise RuntimeError(f"the authors' train.py failed ({process.returncode}):\n{tail}")
    best_epoch = len(valid_r) - int(np.argmax(valid_r[::-1]))
    return {"test_r": test_r, "best_epoch": best_epoch, "seconds": float(np.mean(np.diff(marks)))}


def _load_file(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_forward(checkout: Path, split: PairSplit) -> dict[str, float]:
    """Their model with random weights and chromexpr's with the same weights on the first
    ``CHECK_GENES`` genes of ``split``: parameter counts and the largest absolute difference of
    outputs, attention and loss."""
    stub_unused_modules()
    sys.path.insert(0, str(checkout))  # SiameseLoss imports their evaluate and data modules
    try:
        their_models = _load_file("deepdiff_authors_models", checkout / "models.py")
        their_loss = _load_file("deepdiff_authors_loss", checkout / "SiameseLoss.py")
    finally:
        sys.path.remove(str(checkout))
    counts_a, counts_b, *targets = (tensor[:CHECK_GENES] for tensor in tensors(split))
    settings = types.SimpleNamespace(
        n_hms=counts_a.shape[1],
        n_bins=counts_a.shape[2],
        bin_rnn_size=32,
        num_layers=1,
        dropout=0.5,
        bidirectional=True,
    )
    torch.manual_seed(0)
    with warnings.catch_warnings():  # dropout on one LSTM layer; softmax without dim
        warnings.simplefilter("ignore")
        theirs = getattr(their_models, AUTHORS_MODEL)(settings)
    for parameter in theirs.parameters():
        parameter.data.uniform_(-0.1, 0.1)
    ours = DeepDiff(n_marks=counts_a.shape[1], n_bins=counts_a.shape[2])
    ours.load_state_dict(_chromexpr_state(theirs.state_dict()))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # their softmax without dim
        difference, marks, bins, embedding_a, embedding_b, a, b = theirs(
            counts_a.transpose(1, 2), counts_b.transpose(1, 2)
        )
        outputs = ours(counts_a, counts_b)
        attention = ours.channel_attention(counts_a, counts_b)
        different = (targets[0].abs() >= ours.different_fold_change).float()
        mse = torch.nn.MSELoss()
        their_value = (
            mse(difference, targets[0][:, None])
            + mse(a, targets[1][:, None])
            + mse(b, targets[2][:, None])
            + 4.0 * their_loss.ContrastiveLoss()(embedding_a, embedding_b, different)
        )
        raw_channels = bins.shape[1] // counts_a.shape[2]  # their bin weights: raw inputs only
        pairs = {
            "outputs": [
                (difference[:, 0], outputs["difference"]),
                (a[:, 0], outputs["a"]),
                (b[:, 0], outputs["b"]),
                (embedding_a, outputs["embedding_a"]),
                (embedding_b, outputs["embedding_b"]),
            ],
            "attention": [
                (marks, attention["marks"]),
                (bins, attention["bins"][:, :raw_channels].flatten(1)),
            ],
            "loss": [(their_value, ours.loss(outputs, *targets))],
        }
    return {
        "parameters": count_parameters(ours),
        "their_parameters": sum(parameter.numel() for parameter in theirs.parameters()),
        **{
            name: max(float((theirs - mine).abs().max()) for theirs, mine in values)
            for name, values in pairs.items()
        },
    }


def _chromexpr_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    renamed = {}
    for key, value in state.items():
        prefix = next(prefix for prefix in AUTHORS_NAMES if key.startswith(prefix))
        key = AUTHORS_NAMES[prefix] + key.removeprefix(prefix)
        key = key.replace(".rnn.", ".lstm.").replace(
            ".bin_attention.bin_context_vector", ".context"
        )
        renamed[key] = value.flatten() if key.endswith(".context") else value
    return renamed


def run_job(name: str, seed: int, args: argparse.Namespace) -> dict[str, float]:
    """One training run, in a worker process of one thread."""
    torch.set_num_threads(1)
    if name == "authors":
        return train_authors(args.authors, args.data, args.cells, seed, args.epochs)
    return train_chromexpr(read_pair(args.data, *args.cells), seed, args.epochs)


def summary(values: list[float], digits: int = 3) -> str:
    spread = f" +- {np.std(values, ddof=1):.{digits}f}" if len(values) > 1 else ""
    return (
        f"{np.mean(values):.{digits}f}{spread} "
        f"({min(values):.{digits}f} to {max(values):.{digits}f}, n={len(values)})"
    )


def main() -> None:
    if sys.argv[1:2] == ["_authors_train"]:
        run_authors_train(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the authors' sample data folder")
    parser.add_argument("--authors", type=Path, help="the authors' checkout (else chromexpr only)")
    parser.add_argument("--cells", nargs=2, default=("Cell1", "Cell2"), help="cell A, cell B")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, 1 thread each")
    args = parser.parse_args()
    torch.set_num_threads(1)
    pair = read_pair(args.data, *args.cells)
    shape = pair["train"].counts_a.shape
    print(
        f"DeepDiff on {args.cells[0]} -> {args.cells[1]} of {args.data}: "
        f"{' / '.join(str(len(pair[split].gene_ids)) for split in pair)} train / valid / test "
        f"genes, {shape[1]} marks x {shape[2]} bins; {args.epochs} epochs, Adam "
        f"{RECIPE['learning_rate']}, batch {RECIPE['batch_size']}, clip {RECIPE['grad_clip']}; "
        f"torch {torch.__version__}, 1 thread, CPU; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if args.authors:
        check = check_forward(args.authors, pair["test"])
        print(
            f"forward check, the authors' {AUTHORS_MODEL} weights copied into chromexpr's "
            f"DeepDiff, {CHECK_GENES} test genes: parameters {check['parameters']:,} (theirs "
            f"{check['their_parameters']:,}); largest absolute difference: outputs "
            f"{check['outputs']:.2g}, attention {check['attention']:.2g}, loss {check['loss']:.2g}",
            flush=True,
        )
    names = ["chromexpr", *(["authors"] if args.authors else [])]
    jobs = [(name, seed) for seed in args.seeds for name in names]
    print(
        f"{len(jobs)} runs, {args.jobs} at a time\n"
        f"{'seed':>4} {'run':<34} {'test r':>7} {'best epoch':>10} {'s/epoch':>8}",
        flush=True,
    )
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        futures = [pool.submit(run_job, name, seed, args) for name, seed in jobs]
        for (name, seed), future in zip(jobs, futures, strict=True):
            result = future.result()
            runs[name].append(result)
            print(
                f"{seed:>4} {LABELS[name]:<34} {result['test_r']:>7.3f} "
                f"{result['best_epoch']:>10} {result['seconds']:>8.2f}",
                flush=True,
            )
    test_genes = len(pair["test"].gene_ids)
    print(
        f"test Pearson r, mean +- SD over seeds (range); one r on {test_genes} test genes has a "
        f"95% interval about +-{fisher_half_width(test_genes):.2f} wide at r = 0.5 (Fisher z)"
    )
    for name, results in runs.items():
        print(f"  {LABELS[name]:<34} {summary([result['test_r'] for result in results])}")
    untrained = [result["untrained_r"] for result in runs["chromexpr"]]
    print(f"  {'chromexpr DeepDiff, untrained':<34} {summary(untrained)} (negative control)")
    print("seconds per epoch (training and validation), mean +- SD over seeds (range)")
    for name, results in runs.items():
        if results:
            print(f"  {LABELS[name]:<34} {summary([r['seconds'] for r in results], 2)}")
    if len(runs.get("authors", [])) > 1:
        mine, theirs = ([r["test_r"] for r in runs[name]] for name in ("chromexpr", "authors"))
        welch = stats.ttest_ind(mine, theirs, equal_var=False)
        print(
            f"chromexpr minus authors: test r {np.mean(mine) - np.mean(theirs):+.3f} "
            f"(Welch t-test p = {welch.pvalue:.2f}); seconds per epoch, authors' / chromexpr's: "
            f"{seconds(runs['authors']) / seconds(runs['chromexpr']):.2f}"
        )


LABELS = {
    "chromexpr": "chromexpr DeepDiff",
    "authors": f"authors' train.py {AUTHORS_MODEL}",
}


def seconds(results: list[dict[str, float]]) -> float:
    return float(np.mean([result["seconds"] for result in results]))


def fisher_half_width(genes: int, r: float = 0.5) -> float:
    """Half the width of the 95% Fisher-z interval of a Pearson r on ``genes`` genes."""
    z, spread = math.atanh(r), 1.959964 / math.sqrt(genes - 3)
    return (math.tanh(z + spread) - math.tanh(z - spread)) / 2


if __name__ == "__main__":
    main()
