"""The seed notebook's configuration, trained correctly.

rnncast grew from a notebook: an Elman RNN with 5 tanh units reads 3 days of sales and
predicts the 4th, trained with SGD at 0.001 in batches of 4 over 15 days. Its gradients
were wrong and its data unscaled (see the README's "Where it comes from"). This module
keeps that configuration reproducible, with exact gradients and scaling that is undone
in the forecast, so it can be compared with what the notebook printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnncast.nn import RNN, Linear, check_gradients
from rnncast.nn.losses import mse
from rnncast.nn.optim import SGD

SEED_SALES = np.array(
    [100, 90, 120, 80, 150, 110, 130, 140, 115, 105, 90, 125, 135, 100, 95], dtype=np.float64)


def sliding_windows(values, lookback):
    """Inputs (N, lookback, 1) and next-value targets (N, 1) from a 1-D series."""
    values = np.asarray(values, dtype=np.float64)
    inputs = np.lib.stride_tricks.sliding_window_view(values[:-1], lookback)
    return inputs[..., None].copy(), values[lookback:, None].copy()


@dataclass
class SeedRun:
    """What training the seed's configuration produced, in the user's units."""

    epoch_loss: list[float] = field(default_factory=list)  # MSE on scaled windows
    gradient_errors: dict[str, float] = field(default_factory=dict)
    fitted: np.ndarray | None = None  # one-step predictions of every window, sales units
    targets: np.ndarray | None = None
    next_value: float = float("nan")  # forecast of the day after the data


def train_seed_configuration(values=SEED_SALES, *, lookback=3, hidden=5, batch_size=4,
                             learning_rate=1e-3, epochs=300, scale=True, seed=0) -> SeedRun:
    """Train the notebook's RNN on ``values``; every window is used in every epoch,
    the last batch smaller when the count is not a multiple of ``batch_size``."""
    values = np.asarray(values, dtype=np.float64)
    mean, std = (values.mean(), values.std()) if scale else (0.0, 1.0)
    std = std if std > 0 else 1.0
    inputs, targets = sliding_windows((values - mean) / std, lookback)
    rng = np.random.default_rng(seed)
    rnn = RNN(1, hidden, dtype="float64", seed=rng)
    head = Linear(hidden, 1, dtype="float64", seed=rng)
    optimizer = SGD([rnn, head], lr=learning_rate)
    run = SeedRun(gradient_errors=check_gradients(rnn, inputs[:batch_size]))

    def predict(batch_inputs):
        _, final = rnn.forward(batch_inputs)
        return head.forward(final[-1])  # (B, 1)

    for _ in range(epochs):
        total = 0.0
        for start in range(0, len(inputs), batch_size):
            batch = slice(start, start + batch_size)
            optimizer.zero_grad()
            loss, d_prediction = mse(predict(inputs[batch]), targets[batch])
            rnn.backward(None, head.backward(d_prediction)[None])
            optimizer.step()
            total += loss * len(inputs[batch])
        run.epoch_loss.append(total / len(inputs))

    run.fitted = predict(inputs)[:, 0] * std + mean
    run.targets = targets[:, 0] * std + mean
    last_window = ((values[-lookback:] - mean) / std).reshape(1, lookback, 1)
    run.next_value = float(predict(last_window)[0, 0] * std + mean)
    return run
