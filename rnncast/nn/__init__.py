"""rnncast's engine: recurrent layers, losses and optimizers in NumPy, PyTorch-compatible.

Arrays in, arrays out; nothing here knows of time series, pandas or files, so a model
can be ported from PyTorch with this package alone.
"""

from rnncast.nn.gradcheck import check_gradients, check_loss_gradients, relative_error
from rnncast.nn.gru import GRU
from rnncast.nn.linear import Linear
from rnncast.nn.losses import LOSSES, get_loss, huber, mae, mse, pinball
from rnncast.nn.lstm import LSTM
from rnncast.nn.module import Module
from rnncast.nn.optim import SGD, Adam, AdamW, CosineAnnealingLR, ReduceLROnPlateau, clip_grad_norm
from rnncast.nn.recurrent import Recurrent
from rnncast.nn.regressor import RecurrentRegressor
from rnncast.nn.rnn import RNN

__all__ = [
    "GRU", "LSTM", "RNN", "Linear", "Module", "Recurrent", "RecurrentRegressor",
    "mse", "mae", "huber", "pinball", "LOSSES", "get_loss",
    "SGD", "Adam", "AdamW", "clip_grad_norm", "ReduceLROnPlateau", "CosineAnnealingLR",
    "check_gradients", "check_loss_gradients", "relative_error",
]
