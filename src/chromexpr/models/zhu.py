"""Zhu et al.'s convolutional, recurrent and convolutional-recurrent networks (CNN, RNN, CRNN).

Zhu, Kesseli, Nykter and Huttunen (2017), "Predicting Gene Expression Levels from Histone
Modification Signals with Convolutional Recurrent Neural Networks", EMBEC & NBC 2017, IFMBE
Proceedings 65:555-558, doi:10.1007/978-981-10-5122-7_139. Code: Keras 1 (Theano dimension order),
``CRNN.py`` in github.com/LingyuZhuFin/CRNN-gene-expression-with-histone-modifications.

Each gene is a one-channel image of 100 bins (rows) x 5 marks (columns) of raw read counts:

- ``ZhuCRNN``: Conv2D(32, 3x3, same, ReLU), Dropout 0.5, Conv2D(32, 3x3, same, ReLU), Dropout 0.5,
  a reshape of the [32, bins, marks] feature map to a sequence of bins steps of marks x 32 features,
  LSTM(32, input and recurrent dropout 0.5), its last hidden state, Dropout 0.5, Dense 100 ReLU,
  Dense 20 ReLU, Dense 1 sigmoid (the sigmoid is the loss's). The code's ``Convolution2D(32, 3, 3)``
  is Keras 1 for a 3x3 kernel; the paper's "stride 3" is that kernel width, the stride is 1.
- ``ZhuCNN``: the convolutional part, flattened, then the Dense 100-20-1 head.
- ``ZhuRNN``: the recurrent part (LSTM, Dropout) on the raw [bins, marks] sequence, then the head.

Parameters at 5 marks x 100 bins, one output (Keras counts; this module has exactly these):

====  ============================================================================  =========
CRNN  convs 320 + 9,248; LSTM 4 x (160 x 32 + 32 x 32 + 32) = 24,704; dense 3,300      39,613
      + 2,020 + 21
CNN   convs 9,568; dense 16,000 x 100 + 100 = 1,600,100, + 2,020 + 21                1,611,709
RNN   LSTM 4 x (5 x 32 + 32 x 32 + 32) = 4,864; dense 5,341                              10,205
====  ============================================================================  =========

PyTorch's ``nn.LSTM`` keeps two bias vectors per gate (input and recurrent), Keras one, so the same
networks built on ``nn.LSTM`` would have 128 more parameters (CRNN 39,741, RNN 10,333). Two outputs
add 21 parameters to each.

The recurrent layer is written out step by step (``KerasLSTM``) rather than taken from
``nn.LSTM``, because ``nn.LSTM`` has no recurrent dropout and its gates differ from Keras 1's. It
reproduces the Keras 1 LSTM the code uses: gates i, f, c, o; hard-sigmoid gate activation
(clip(0.2 x + 0.5, 0, 1)); one bias per gate; dropout masks drawn once per sequence and per gate,
on the inputs (``dropout_W``) and on the previous hidden state (``dropout_U``); Glorot-uniform input
weights, orthogonal recurrent weights (gain 1.1), forget-gate bias 1. The price is speed: a Python
loop over the bins instead of one fused kernel. The convolutions keep Keras's Glorot-uniform
weights and zero biases, the dense layers the code's ``init='uniform'`` (uniform +-0.05, zero bias).

Deviations from the published code:

- ``forward`` returns the logit (or two logits with ``n_outputs=2``); the sigmoid is applied by the
  loss (``binary_cross_entropy_with_logits`` = sigmoid + binary cross-entropy).
- Model selection: the published script trains 500 epochs and keeps the final model, validating on
  a random 20% of its training file; the harness keeps the epoch with the best validation AUC on
  the project's validation split.
- Adam: Keras 1 adds epsilon (1e-8) to sqrt(v) before its bias correction, PyTorch after; the
  difference is a rescaled epsilon, negligible at these gradient sizes.
- The seed is the harness's (the script seeds numpy with 7).
- Only ``CRNN.py`` is published; the CNN and RNN are the CRNN with the recurrent or the
  convolutional part removed, as the paper describes them (the CNN has no dropout after its
  flattening, the convolutional part already ends with one; the RNN keeps the LSTM's dropouts and
  the dropout after it).
- ``sequence_layout``: the published ``Reshape((100, 5*32))`` is applied to a channels-first
  [32 filters, 100 bins, 5 marks] map, so its "time steps" are consecutive runs of 160 values of
  that filter-major map (each filter's 500 values spread over 3.125 steps), not bins. The default
  ``"keras_reshape"`` reproduces that reshape; ``"bins"`` makes each step one bin, with the 5 x 32
  features of that bin, as the paper describes it.
"""

from __future__ import annotations

import torch
from torch import nn

PUBLISHED_RECIPE = {
    "epochs": 500,
    "batch_size": 200,
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "lr_decay": 0.0,
    "patience": None,
}
SEQUENCE_LAYOUTS = ("keras_reshape", "bins")
N_GATES = 4


class KerasLSTM(nn.Module):
    """Keras 1's LSTM: a sequence [batch, steps, input_size] in, its last hidden state out."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        # Gates in Keras's order: input, forget, cell, output.
        self.weight_input = nn.Parameter(torch.empty(N_GATES, input_size, hidden_size))
        self.weight_recurrent = nn.Parameter(torch.empty(N_GATES, hidden_size, hidden_size))
        self.bias = nn.Parameter(torch.zeros(N_GATES, hidden_size))
        for gate in range(N_GATES):
            nn.init.xavier_uniform_(self.weight_input.data[gate])
            nn.init.orthogonal_(self.weight_recurrent.data[gate], gain=1.1)
        self.bias.data[1] = 1.0

    def _masks(self, rate: float, batch: int, size: int, like: torch.Tensor) -> torch.Tensor | None:
        """One inverted-dropout mask per gate and sequence, [gates, batch, 1, size]; None if off."""
        if not self.training or rate == 0:
            return None
        keep = torch.full((N_GATES, batch, 1, size), 1 - rate, dtype=like.dtype, device=like.device)
        return torch.bernoulli(keep) / (1 - rate)

    def forward(self, sequence: torch.Tensor) -> torch.Tensor:
        batch, steps, features = sequence.shape
        hidden_size = self.weight_recurrent.shape[-1]
        input_masks = self._masks(self.dropout, batch, features, sequence)
        gate_inputs = sequence if input_masks is None else sequence * input_masks
        # [gates or 1, batch, steps, features] @ [gates, features, hidden] -> per-step gate inputs
        gate_inputs = torch.matmul(gate_inputs, self.weight_input.unsqueeze(1))
        gate_inputs = gate_inputs + self.bias[:, None, None, :]
        recurrent_masks = self._masks(self.recurrent_dropout, batch, hidden_size, sequence)
        hidden = sequence.new_zeros(batch, 1, hidden_size)
        cell = sequence.new_zeros(batch, hidden_size)
        for step in range(steps):
            previous = hidden if recurrent_masks is None else hidden * recurrent_masks
            recurrent = torch.matmul(previous, self.weight_recurrent.unsqueeze(1))[:, :, 0]
            gates = gate_inputs[:, :, step] + recurrent  # [gates, batch, hidden]
            input_gate, forget_gate, output_gate = (
                torch.clamp(0.2 * gates[index] + 0.5, 0.0, 1.0) for index in (0, 1, 3)
            )
            cell = forget_gate * cell + input_gate * torch.tanh(gates[2])
            hidden = (output_gate * torch.tanh(cell)).unsqueeze(1)
        return hidden[:, 0]


def _convolutions(n_filters: int, dropout: float) -> nn.Sequential:
    """[batch, 1, bins, marks] -> [batch, n_filters, bins, marks]; Keras's Glorot-uniform init."""
    layers = nn.Sequential(
        nn.Conv2d(1, n_filters, 3, padding=1),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Conv2d(n_filters, n_filters, 3, padding=1),
        nn.ReLU(),
        nn.Dropout(dropout),
    )
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return layers


def _dense_head(in_features: int, n_outputs: int) -> nn.Sequential:
    """Dense 100 ReLU, Dense 20 ReLU, Dense n_outputs; the code's ``init='uniform'`` (+-0.05)."""
    layers = nn.Sequential(
        nn.Linear(in_features, 100),
        nn.ReLU(),
        nn.Linear(100, 20),
        nn.ReLU(),
        nn.Linear(20, n_outputs),
    )
    for layer in layers:
        if isinstance(layer, nn.Linear):
            nn.init.uniform_(layer.weight, -0.05, 0.05)
            nn.init.zeros_(layer.bias)
    return layers


def _image(counts: torch.Tensor) -> torch.Tensor:
    """[batch, marks, bins] -> the published one-channel image [batch, 1, bins, marks]."""
    return counts.transpose(1, 2).unsqueeze(1)


class ZhuModel(nn.Module):
    """Zhu et al.'s models: input [batch, marks, bins] of counts; output [batch, n_outputs] (1: the
    logit of high), trained with their recipe."""

    PUBLISHED_RECIPE = PUBLISHED_RECIPE


class ZhuCRNN(ZhuModel):
    """Convolutions over the marks x bins image, then an LSTM over the feature map's rows."""

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 1,
        n_filters: int = 32,
        lstm_size: int = 32,
        dropout: float = 0.5,
        sequence_layout: str = "keras_reshape",
    ) -> None:
        super().__init__()
        if sequence_layout not in SEQUENCE_LAYOUTS:
            raise ValueError(
                f"sequence_layout {sequence_layout!r} is not one of {SEQUENCE_LAYOUTS}"
            )
        self.sequence_layout = sequence_layout
        self.features = _convolutions(n_filters, dropout)
        self.recurrent = KerasLSTM(n_marks * n_filters, lstm_size, dropout, dropout)
        self.dropout = nn.Dropout(dropout)
        self.classifier = _dense_head(lstm_size, n_outputs)

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        feature_map = self.features(_image(counts))  # [batch, filters, bins, marks]
        batch, filters, bins, marks = feature_map.shape
        if self.sequence_layout == "bins":
            feature_map = feature_map.permute(0, 2, 3, 1)
        sequence = feature_map.reshape(batch, bins, marks * filters)
        return self.classifier(self.dropout(self.recurrent(sequence)))


class ZhuCNN(ZhuModel):
    """Convolutions over the marks x bins image, then dense layers."""

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 1,
        n_filters: int = 32,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.features = _convolutions(n_filters, dropout)
        self.classifier = nn.Sequential(
            nn.Flatten(), _dense_head(n_filters * n_bins * n_marks, n_outputs)
        )

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(_image(counts)))


class ZhuRNN(ZhuModel):
    """An LSTM over the bins, each step the marks' counts."""

    def __init__(
        self,
        n_marks: int = 5,
        n_bins: int = 100,
        n_outputs: int = 1,
        lstm_size: int = 32,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.recurrent = KerasLSTM(n_marks, lstm_size, dropout, dropout)
        self.dropout = nn.Dropout(dropout)
        self.classifier = _dense_head(lstm_size, n_outputs)

    def forward(self, counts: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.recurrent(counts.transpose(1, 2))))
