"""Training losses, each returning its value and its gradient with respect to the prediction.

Every loss is a mean over all N elements, PyTorch's default ``reduction="mean"``, so each
gradient carries a factor 1/N. With ``d = prediction - target``:

=========  ==============================================  ==========================
loss       value                                           d value / d prediction
=========  ==============================================  ==========================
mse        mean(d**2)                                      2 d / N
mae        mean(|d|)                                       sign(d) / N
huber      mean(d**2 / 2 if |d| < delta,                   clip(d, -delta, delta) / N
           else delta (|d| - delta / 2))
pinball    mean(max(q e, (q - 1) e)),  e = target - pred   -q / N or (1 - q) / N
=========  ==============================================  ==========================

A loss is a plain function, ``value, grad = mse(y_hat, y)``: ``value`` is a Python float
and ``grad`` has the shape and dtype of the prediction, ready for a network's backward.

Every loss takes an optional ``weight``, broadcast against the target: the loss becomes
``mean(weight * l)`` and its gradient ``weight * l' / N`` (with ``reduction="none"``,
PyTorch's ``(weight * loss).mean()``). A weight per window, shape ``(B, 1)`` against
targets ``(B, h)``, is how the forecaster makes its training loss MASE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rnncast.errors import ShapeError

Loss = Callable[..., tuple[float, np.ndarray]]


def _prediction_and_difference(
    loss: str, prediction: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Validate matching shapes and return ``(prediction, prediction - target)``."""
    p = _as_float(prediction)
    t = np.asarray(target)
    if p.shape != t.shape:
        raise ShapeError(
            f"{loss}: prediction has shape {p.shape} but target has shape {t.shape}; "
            "they must match element for element (no broadcasting). Reshape one of them."
        )
    _check_not_empty(loss, p)
    return p, p - t


def _as_float(prediction: np.ndarray) -> np.ndarray:
    p = np.asarray(prediction)
    # the gradient takes the prediction's dtype, which must be able to hold it
    return p if np.issubdtype(p.dtype, np.floating) else p.astype(np.float64)


def _check_not_empty(loss: str, p: np.ndarray) -> None:
    if p.size == 0:
        raise ShapeError(f"{loss}: prediction is empty (shape {p.shape}); a mean needs data.")


def broadcast_weight(loss: str, weight, target_shape) -> np.ndarray:
    """``weight`` broadcast to ``target_shape`` (a read-only view), or a ShapeError that
    names the loss and both shapes."""
    weight = np.asarray(weight)
    try:
        return np.broadcast_to(weight, target_shape)
    except ValueError:
        raise ShapeError(f"{loss}: weight has shape {weight.shape}, which does not "
                         f"broadcast to the target's {target_shape}. Give one weight "
                         "per element, or e.g. shape (batch, 1) for one per row.") from None


def check_huber_delta(delta) -> None:
    if not delta > 0:
        raise ValueError(f"huber: delta must be > 0, got {delta!r}.")


def check_quantiles(quantiles, dtype) -> np.ndarray:
    """The pinball loss's quantiles as a (Q,) array of ``dtype``, each strictly inside
    (0, 1), or an error that says which are not."""
    q = np.asarray(quantiles, dtype=dtype)
    if q.ndim != 1 or q.size == 0:
        raise ShapeError(
            f"pinball: quantiles must be a non-empty 1-D sequence, got shape {q.shape}."
        )
    outside = q[~((q > 0) & (q < 1))]
    if outside.size:
        raise ValueError(
            f"pinball: every quantile must lie strictly between 0 and 1, got "
            f"{outside.tolist()}. Use e.g. quantiles=(0.1, 0.5, 0.9)."
        )
    return q


def _weighted(loss: str, elementwise, slope, weight, target_shape, dtype):
    """``(mean(weight * elementwise), weight * slope / N)``, the gradient in ``dtype``.

    elementwise, slope: the loss of each element and its derivative, shape of the
    prediction; weight: None, or broadcastable to ``target_shape``.
    """
    if weight is not None:
        weight = broadcast_weight(loss, weight, target_shape)
        if elementwise.ndim > len(target_shape):  # pinball: one more axis, the quantiles
            weight = weight[..., None]
        elementwise = weight * elementwise
        slope = weight * slope
    grad = slope / slope.size
    return float(np.mean(elementwise)), grad.astype(dtype, copy=False)


def mse(prediction: np.ndarray, target: np.ndarray, weight=None) -> tuple[float, np.ndarray]:
    """Mean squared error, as ``torch.nn.MSELoss()``.

    Parameters
    ----------
    prediction : ndarray, any shape
    target : ndarray, same shape as ``prediction``
    weight : ndarray broadcastable to ``target``, optional

    Returns
    -------
    value : float
        ``mean(weight * (prediction - target)**2)``.
    grad : ndarray, shape and dtype of ``prediction``
        ``2 weight (prediction - target) / N``.
    """
    p, d = _prediction_and_difference("mse", prediction, target)
    return _weighted("mse", d * d, 2 * d, weight, d.shape, p.dtype)


def mae(prediction: np.ndarray, target: np.ndarray, weight=None) -> tuple[float, np.ndarray]:
    """Mean absolute error, as ``torch.nn.L1Loss()``.

    Parameters
    ----------
    prediction : ndarray, any shape
    target : ndarray, same shape as ``prediction``
    weight : ndarray broadcastable to ``target``, optional

    Returns
    -------
    value : float
        ``mean(weight * |prediction - target|)``.
    grad : ndarray, shape and dtype of ``prediction``
        ``weight * sign(prediction - target) / N``; 0 where prediction equals target,
        as the subgradient PyTorch's ``abs`` uses.
    """
    p, d = _prediction_and_difference("mae", prediction, target)
    return _weighted("mae", np.abs(d), np.sign(d), weight, d.shape, p.dtype)


def huber(
    prediction: np.ndarray, target: np.ndarray, delta: float = 1.0, weight=None
) -> tuple[float, np.ndarray]:
    """Huber loss, as ``torch.nn.HuberLoss(delta=delta)``.

    Quadratic for residuals smaller than ``delta``, linear beyond, so that a few outlying
    sales days do not dominate the gradient:

        l(d) = d**2 / 2                 if |d| < delta
               delta (|d| - delta / 2)  otherwise

    Parameters
    ----------
    prediction : ndarray, any shape
    target : ndarray, same shape as ``prediction``
    delta : float, > 0
        Residual size, in the units of the target, where the loss turns linear.
    weight : ndarray broadcastable to ``target``, optional

    Returns
    -------
    value : float
        ``mean(weight * l(prediction - target))``.
    grad : ndarray, shape and dtype of ``prediction``
        ``weight * clip(prediction - target, -delta, delta) / N``.
    """
    check_huber_delta(delta)
    p, d = _prediction_and_difference("huber", prediction, target)
    abs_d = np.abs(d)
    elementwise = np.where(abs_d < delta, 0.5 * d * d, delta * (abs_d - 0.5 * delta))
    return _weighted("huber", elementwise, np.clip(d, -delta, delta), weight, d.shape,
                     p.dtype)


def pinball(
    prediction: np.ndarray, target: np.ndarray, quantiles: Sequence[float], weight=None
) -> tuple[float, np.ndarray]:
    """Pinball (quantile) loss over Q quantile forecasts of the same target.

    With the residual ``e = target - prediction`` of each quantile forecast:

        l(e) = max(q e, (q - 1) e)  =  q e  if e >= 0,  (q - 1) e  otherwise

    so an under-forecast costs ``q`` per unit and an over-forecast ``1 - q``, and the
    minimiser is the q-quantile of the target.

    Parameters
    ----------
    prediction : ndarray, shape (..., Q)
        One forecast per quantile along the last axis.
    target : ndarray, shape (...)
        Broadcast against the quantile axis.
    quantiles : sequence of Q floats, each in (0, 1)
    weight : ndarray broadcastable to ``target``, optional
        The same weight applies to every quantile of an element.

    Returns
    -------
    value : float
        Mean of ``l`` over all elements, quantile axis included (N = prediction.size).
    grad : ndarray, shape and dtype of ``prediction``
        ``-q / N`` where ``e > 0``, ``(1 - q) / N`` where ``e < 0`` and, where the
        forecast hits the target exactly (``e == 0``, a kink), the average of the two,
        ``(1/2 - q) / N``. That subgradient is the one autograd gives for
        ``torch.maximum(q * e, (q - 1) * e).mean()``, which splits ties evenly.
    """
    p = _as_float(prediction)
    t = np.asarray(target)
    q = check_quantiles(quantiles, p.dtype)
    if p.shape != (*t.shape, q.size):
        raise ShapeError(
            f"pinball: prediction has shape {p.shape}; with target shape {t.shape} and "
            f"{q.size} quantiles it must be {(*t.shape, q.size)} (one forecast per "
            "quantile along the last axis)."
        )
    _check_not_empty("pinball", p)
    e = t[..., None] - p  # (..., Q)
    # d/dp of q e is -q and of (q - 1) e is 1 - q; at e == 0 both branches tie
    slope = np.where(e > 0, -q, np.where(e < 0, 1 - q, 0.5 - q))
    return _weighted("pinball", np.maximum(q * e, (q - 1) * e), slope, weight, t.shape,
                     p.dtype)


LOSSES: dict[str, Loss] = {"mse": mse, "mae": mae, "huber": huber, "pinball": pinball}


def output_loss(prediction, target, loss: str, *, weight=None, quantiles=None,
                delta: float = 1.0) -> tuple[float, np.ndarray]:
    """A loss on a head's outputs, prediction (B, S * Q), against targets (B, S): output
    k is the forecast of target k // Q at quantile ``quantiles[k % Q]`` for ``pinball``
    (the only loss that takes quantiles), Q = 1 otherwise. Returns the loss value and
    its gradient, shaped like ``prediction``."""
    if loss == "pinball":
        value, grad = pinball(np.reshape(prediction, np.shape(target) + (len(quantiles),)),
                              target, quantiles, weight=weight)
        return value, grad.reshape(np.shape(prediction))
    if loss == "huber":
        return huber(prediction, target, delta, weight=weight)
    return get_loss(loss)(prediction, target, weight=weight)


def get_loss(name: str) -> Loss:
    """Return the loss function called ``name``, one of the keys of :data:`LOSSES`.

    Raises
    ------
    ValueError
        If ``name`` is not a known loss; the message lists the valid names.
    """
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown loss {name!r}; choose one of {', '.join(sorted(LOSSES))}."
        ) from None
