"""Forward passes of K stacked models written with grouped convolutions and batched matmuls.

``torch.func.vmap`` runs any model side by side, but pays a dispatch overhead on every operation,
and has no batching rule for the LSTM kernel (it falls back to a slow loop over the K models).
For the models listed in ``stacked_forward`` this module computes the same function directly on
parameters stacked along a leading K axis (``torch.func.stack_module_state`` names and shapes):

- ``DeepChromeCNN`` and any ``nn.Sequential`` of ``Conv1d`` / ``ReLU`` / ``MaxPool1d`` /
  ``Flatten`` / ``Dropout`` / ``Linear``: the K convolutions as one grouped convolution, the K
  linear layers as one ``baddbmm``; dropout draws an independent mask per element, so per model;
- ``AttentiveChrome``: the K x marks bidirectional bin-level LSTMs (2 K marks recurrences) and
  the K mark-level ones as one recurrence each, written with batched matmuls (PyTorch's gate
  order i, f, g, o), the attention as batched einsums.

Every forward takes (params, buffers, inputs [K, batch, marks, bins], rate) and returns
[K, batch, n_outputs]; tests check it against each model's own ``forward``. With ``rate`` (a
plain-SGD learning rate [K], 0 for a model that takes no step) the linear layers of the
``Sequential`` models apply their SGD update inside the backward pass (W -= rate * dW as one
in-place ``baddbmm``): the gradient of the largest layer is never stored, read back and added,
which for batch 1 saves most of a step's memory traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from chromexpr.models.attentivechrome import AttentiveChrome
from chromexpr.models.deepchrome import DeepChromeCNN

Params = dict[str, torch.Tensor]
StackedForward = Callable[[Params, Params, torch.Tensor], torch.Tensor]


def stacked_forward(template: nn.Module) -> StackedForward | None:
    """The stacked forward of ``template``'s architecture, or None where there is none (use vmap)."""
    if isinstance(template, DeepChromeCNN):
        if not _sequential_supported(template.features) or not _sequential_supported(
            template.classifier
        ):
            return None
        return partial(_deepchrome, template)
    if isinstance(template, AttentiveChrome):
        return partial(_attentivechrome, template)
    return None


def _sequential_supported(block: nn.Sequential) -> bool:
    supported = (nn.ReLU, nn.MaxPool1d, nn.Flatten, nn.Dropout, nn.Linear)
    for module in block:
        if isinstance(module, nn.Conv1d):
            if module.groups != 1 or module.padding_mode != "zeros":
                return False
        elif not isinstance(module, supported):
            return False
    return True


def fusable_parameters(template: nn.Module) -> set[str]:
    """Names of the parameters a stacked forward updates itself when given a plain-SGD rate."""
    if isinstance(template, DeepChromeCNN) and stacked_forward(template) is not None:
        return {
            f"{prefix}.{name}.{kind}"
            for prefix in ("features", "classifier")
            for name, module in getattr(template, prefix).named_children()
            if isinstance(module, nn.Linear) and module.bias is not None
            for kind in ("weight", "bias")
        }
    return set()


def _deepchrome(
    template: DeepChromeCNN,
    params: Params,
    buffers: Params,
    x: torch.Tensor,
    rate: torch.Tensor | None = None,
):
    h = _sequential(template.features, "features", params, x, rate)
    return _sequential(template.classifier, "classifier", params, h, rate)


def _linear(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """K linear layers: h [K, batch, in], weight [K, out, in], bias [K, out] -> [K, batch, out].

    As weight @ h^T: for small batches about twice as fast on CPU as h @ weight^T, which reads
    the weights transposed.
    """
    if bias is None:
        return torch.bmm(weight, h.transpose(1, 2)).transpose(1, 2)
    return torch.baddbmm(bias[:, :, None], weight, h.transpose(1, 2)).transpose(1, 2)


class _SGDLinear(torch.autograd.Function):
    """K linear layers whose backward applies plain SGD to their weights and biases in place."""

    @staticmethod
    def forward(ctx, h, weight, bias, rate):
        ctx.save_for_backward(h, weight, rate)
        ctx.bias = bias
        return _linear(h, weight, bias)

    @staticmethod
    def backward(ctx, grad_out):
        h, weight, rate = ctx.saved_tensors
        grad_h = torch.bmm(grad_out, weight)  # with the weights before the update
        step = grad_out * -rate[:, None, None]
        with torch.no_grad():
            weight.baddbmm_(step.transpose(1, 2), h)
            ctx.bias.add_(step.sum(dim=1))
        return grad_h, None, None, None


def _sequential(
    block: nn.Sequential,
    prefix: str,
    params: Params,
    h: torch.Tensor,
    rate: torch.Tensor | None = None,
):
    """``block`` on h [K, batch, ...] with the K models' parameters ``params``."""
    k, batch = h.shape[:2]
    for name, module in block.named_children():
        key = f"{prefix}.{name}"
        if isinstance(module, nn.Conv1d):
            weight, bias = params[f"{key}.weight"], params.get(f"{key}.bias")
            grouped = h.transpose(0, 1).reshape(batch, k * h.shape[2], h.shape[3])
            out = F.conv1d(
                grouped,
                weight.reshape(k * weight.shape[1], *weight.shape[2:]),
                None if bias is None else bias.reshape(-1),
                module.stride,
                module.padding,
                module.dilation,
                groups=k,
            )
            h = out.view(batch, k, weight.shape[1], out.shape[-1]).transpose(0, 1)
        elif isinstance(module, nn.Linear):
            weight, bias = params[f"{key}.weight"], params.get(f"{key}.bias")
            if rate is not None and bias is not None:
                h = _SGDLinear.apply(h, weight, bias, rate)
                continue
            h = _linear(h, weight, bias)
        elif isinstance(module, nn.ReLU):
            h = F.relu(h)
        elif isinstance(module, nn.MaxPool1d):
            pooled = F.max_pool1d(
                h.reshape(k * batch, *h.shape[2:]),
                module.kernel_size,
                module.stride,
                module.padding,
                module.dilation,
                module.ceil_mode,
            )
            h = pooled.view(k, batch, *pooled.shape[1:])
        elif isinstance(module, nn.Flatten):
            h = h.reshape(k, batch, -1)
        elif isinstance(module, nn.Dropout):
            h = F.dropout(h, module.p, module.training)
        else:  # pragma: no cover - excluded by _sequential_supported
            raise TypeError(f"no stacked form of {type(module).__name__}")
    return h


def _attentivechrome(
    template: AttentiveChrome,
    params: Params,
    buffers: Params,
    x: torch.Tensor,
    rate: torch.Tensor | None = None,
):
    k, batch, n_marks, n_bins = x.shape
    # Bin level: K x marks encoders, each a bidirectional LSTM over the bins of one mark.
    prefixes = [f"bin_encoders.{mark}" for mark in range(n_marks)]
    sequences = x.permute(0, 2, 1, 3).reshape(k * n_marks, batch, n_bins, 1)
    outputs = _bidirectional_lstm(sequences, _lstm_weights(params, prefixes, k))
    context = torch.stack([params[f"{p}.context"] for p in prefixes], dim=1).flatten(0, 1)
    embeddings = _attend(outputs, context)  # [K marks, batch, 2 hidden]
    # Mark level: one encoder per model over the marks' embeddings.
    marks = embeddings.view(k, n_marks, batch, -1).transpose(1, 2)
    outputs = _bidirectional_lstm(marks, _lstm_weights(params, ["mark_encoder"], k))
    gene = _attend(outputs, params["mark_encoder.context"])
    return torch.baddbmm(
        params["classifier.bias"][:, None, :], gene, params["classifier.weight"].transpose(1, 2)
    )


def _lstm_weights(params: Params, prefixes: list[str], k: int) -> list[torch.Tensor]:
    """[w_ih, w_hh, bias] of the encoders ``prefixes`` of K models, each [K enc 2, ...].

    Index order: model, encoder, direction (forward, reverse); bias is b_ih + b_hh.
    """
    stacked = []
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        per_encoder = [
            torch.stack([params[f"{p}.lstm.{name}"], params[f"{p}.lstm.{name}_reverse"]], dim=1)
            for p in prefixes
        ]
        stacked.append(torch.stack(per_encoder, dim=1).flatten(0, 2))
    w_ih, w_hh, b_ih, b_hh = stacked
    return [w_ih, w_hh, b_ih + b_hh]


def _bidirectional_lstm(sequences: torch.Tensor, weights: list[torch.Tensor]) -> torch.Tensor:
    """G bidirectional one-layer LSTMs: sequences [G, batch, steps, in] -> [G, batch, steps, 2H]."""
    w_ih, w_hh, bias = weights  # [2G, 4H, in], [2G, 4H, H], [2G, 4H]
    groups, batch, steps, _ = sequences.shape
    hidden = w_hh.shape[-1]
    # Each group's forward and reverse directions: [2G, batch, steps, in].
    both = torch.stack([sequences, sequences.flip(2)], dim=1).flatten(0, 1)
    projected = torch.baddbmm(
        bias[:, None, :], both.reshape(2 * groups, batch * steps, -1), w_ih.transpose(1, 2)
    ).view(2 * groups, batch, steps, 4 * hidden)
    h = sequences.new_zeros(2 * groups, batch, hidden)
    c = sequences.new_zeros(2 * groups, batch, hidden)
    w_hh_t = w_hh.transpose(1, 2)
    states = []
    # unbind, not projected[:, :, step]: one backward for all steps instead of one full-size
    # zero tensor per step.
    for inputs in projected.unbind(2):
        gates = torch.baddbmm(inputs, h, w_hh_t)
        i, f, g, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        states.append(h)
    out = torch.stack(states, dim=2).view(groups, 2, batch, steps, hidden)
    return torch.cat([out[:, 0], out[:, 1].flip(2)], dim=-1)


def _attend(outputs: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
    """Attention pooling: outputs [G, batch, steps, D], context [G, D] -> [G, batch, D]."""
    weights = torch.softmax(torch.einsum("gbsd,gd->gbs", outputs, context), dim=2)
    return torch.einsum("gbs,gbsd->gbd", weights, outputs)
