"""Optimizers, gradient clipping and learning-rate schedules, following ``torch.optim``.

Every layer keeps its parameters in one flat buffer and its gradients in another (see
:mod:`rnncast.nn.module`), so an optimizer makes one vectorised update per layer instead
of one per tensor, writing through ``out=`` into state buffers allocated once. The update
rules are PyTorch's term for term (``torch.optim.SGD``, ``Adam`` and ``AdamW`` on CPU:
single-tensor, non-amsgrad, non-fused), so a network trained here follows the same
trajectory as its PyTorch twin up to rounding.

An optimizer takes a list of modules, anything with 1-D ``flat_params`` and
``flat_grads`` arrays of one shape. Its ``lr`` is a plain attribute: the schedules here,
or a user, change it between steps.

>>> optimizer = Adam([lstm, head], lr=1e-3)
>>> schedule = ReduceLROnPlateau(optimizer, patience=5)
>>> for epoch in range(epochs):
...     optimizer.zero_grad()
...     ...                                  # forward, loss, backward into flat_grads
...     clip_grad_norm([lstm, head], max_norm=1.0)
...     optimizer.step()
...     schedule.step(validation_loss)
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from rnncast.errors import ShapeError
from rnncast.nn import kernels


def _check_at_least(name: str, value: float, low: float) -> None:
    if not value >= low:  # also rejects NaN
        raise ValueError(f"{name} must be >= {low}, got {value!r}.")


def _check_in_unit_interval(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}.")


class _Optimizer:
    """Holds the modules' flat buffers and the learning rate; subclasses define ``step``."""

    def __init__(self, modules: Iterable, lr: float) -> None:
        if hasattr(modules, "flat_params"):
            raise TypeError(f"{type(self).__name__} takes a list of modules, got one "
                            f"{type(modules).__name__}: pass [layer] (or [layer, head]).")
        self.modules = list(modules)
        if not self.modules:
            raise ValueError(
                f"{type(self).__name__} got no modules; pass a list of layers to optimize."
            )
        if len({id(module) for module in self.modules}) != len(self.modules):
            raise ValueError(
                f"{type(self).__name__} got the same module twice; it would be updated twice "
                "per step. Pass each module once."
            )
        for module in self.modules:
            params = getattr(module, "flat_params", None)
            grads = getattr(module, "flat_grads", None)
            if not isinstance(params, np.ndarray) or not isinstance(grads, np.ndarray):
                raise TypeError(
                    f"{type(self).__name__} needs modules with flat_params and flat_grads "
                    f"arrays; {type(module).__name__} has none."
                )
            if params.ndim != 1 or params.shape != grads.shape:
                raise ShapeError(
                    f"{type(module).__name__}: flat_params {params.shape} and flat_grads "
                    f"{grads.shape} must be 1-D arrays of the same length."
                )
        _check_at_least("lr", lr, 0.0)
        self.lr = lr
        # the optimizer updates these arrays in place; the modules' named views follow
        self._params = [module.flat_params for module in self.modules]
        self._grads = [module.flat_grads for module in self.modules]

    def zero_grad(self) -> None:
        """Set every module's gradients to zero, in place (backward accumulates)."""
        for g in self._grads:
            g.fill(0)

    def _decayed_gradient(self, index, p, g, lam):
        """g + lambda p for module ``index``, in a buffer made on first use, so that
        ``weight_decay`` may be set after the optimizer was made."""
        if self._g_decayed is None:
            self._g_decayed = [np.zeros_like(params) for params in self._params]
        decayed = self._g_decayed[index]
        np.multiply(p, lam, out=decayed)
        decayed += g
        return decayed


class SGD(_Optimizer):
    """Stochastic gradient descent with momentum, as ``torch.optim.SGD``.

    With parameters ``p``, gradient ``g``, momentum ``mu``, dampening ``tau`` and weight
    decay ``lambda``, one step is::

        g = g + lambda p
        b = g                          (first step)
        b = mu b + (1 - tau) g         (later steps)
        g = g + mu b                   (nesterov)     or  g = b
        p = p - lr g

    Parameters
    ----------
    modules : list of modules
        Each with 1-D ``flat_params`` and ``flat_grads`` of one length P.
    lr : float, >= 0
    momentum : float, >= 0
    dampening : float
    weight_decay : float, >= 0
        L2 penalty coefficient, added to the gradient.
    nesterov : bool
        Needs ``momentum > 0`` and ``dampening == 0``.

    Attributes
    ----------
    t : int
        Number of steps taken.
    """

    def __init__(
        self,
        modules: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(modules, lr)
        _check_at_least("momentum", momentum, 0.0)
        _check_at_least("weight_decay", weight_decay, 0.0)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "nesterov momentum needs momentum > 0 and dampening == 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}."
            )
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.t = 0
        self._b = [np.zeros_like(p) for p in self._params]  # momentum buffers, (P,)
        self._g_decayed = None  # g + lambda p, made at the first step with weight decay
        self._scratch = [np.zeros_like(p) for p in self._params]

    def step(self) -> None:
        """Update every module's ``flat_params`` in place from its ``flat_grads``."""
        lr, mu, tau, lam = self.lr, self.momentum, self.dampening, self.weight_decay
        for i, (p, g) in enumerate(zip(self._params, self._grads, strict=True)):
            scratch = self._scratch[i]
            if lam != 0:
                g = self._decayed_gradient(i, p, g, lam)
            if mu != 0:
                b = self._b[i]
                if self.t == 0:
                    np.copyto(b, g)
                else:
                    b *= mu
                    np.multiply(g, 1 - tau, out=scratch)
                    b += scratch
                if self.nesterov:
                    np.multiply(b, mu, out=scratch)
                    scratch += g
                    g = scratch
                else:
                    g = b
            np.multiply(g, lr, out=scratch)
            p -= scratch
        self.t += 1


class Adam(_Optimizer):
    """Adam, as ``torch.optim.Adam`` (non-amsgrad).

    With parameters ``p``, gradient ``g``, step count ``t`` (from 1) and weight decay
    ``lambda``, one step is::

        g = g + lambda p
        m = m + (1 - beta1) (g - m)          # = beta1 m + (1 - beta1) g, torch's lerp,
                                             # g - beta1 (g - m) where 1 - beta1 >= 0.5
        v = beta2 v + (1 - beta2) g g
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Parameters
    ----------
    modules : list of modules
        Each with 1-D ``flat_params`` and ``flat_grads`` of one length P.
    lr : float, >= 0
    betas : (float, float), each in [0, 1)
        Decay rates ``beta1, beta2`` of the first and second moment estimates.
    eps : float, >= 0
        Added to the bias-corrected root of ``v``, in the units of the gradient.
    weight_decay : float, >= 0
        L2 penalty coefficient, added to the gradient (coupled; see :class:`AdamW`).
    backend : {"auto", "numpy", "numba"}
        ``"numpy"`` makes the update with NumPy operations over each module's buffer,
        the reference; ``"numba"`` makes the same operations in one compiled pass
        (``rnncast[fast]``), 3x to 8x faster and equal to the NumPy update bit for
        bit; ``"auto"`` takes numba when it is installed.
    threads : int or None
        Compiled backend: a module of at least 32,768 parameters is updated in this
        many shares at once, one per thread (the same bits as in one). None: the cores
        this process may use; 1: one thread.

    Attributes
    ----------
    t : int
        Number of steps taken.
    """

    # AdamW decays the parameters directly instead of through the gradient
    _decoupled_weight_decay = False

    def __init__(
        self,
        modules: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        backend: str = "auto",
        threads: int | None = None,
    ) -> None:
        super().__init__(modules, lr)
        self.compiled = kernels.resolve_backend(backend)
        self.backend = backend
        if threads is not None and (isinstance(threads, bool) or int(threads) != threads
                                    or threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}.")
        self.threads = threads
        beta1, beta2 = betas
        _check_in_unit_interval("betas[0]", beta1)
        _check_in_unit_interval("betas[1]", beta2)
        _check_at_least("eps", eps, 0.0)
        _check_at_least("weight_decay", weight_decay, 0.0)
        self.betas = (beta1, beta2)
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self._m = [np.zeros_like(p) for p in self._params]  # (P,)
        self._v = [np.zeros_like(p) for p in self._params]  # (P,)
        self._denom = [np.zeros_like(p) for p in self._params]
        self._scratch = [np.zeros_like(p) for p in self._params]
        self._g_decayed = None  # g + lambda p, made at the first step with coupled decay

    def step(self) -> None:
        """Update every module's ``flat_params`` in place from its ``flat_grads``."""
        self.t += 1
        lr, lam, eps = self.lr, self.weight_decay, self.eps
        beta1, beta2 = self.betas
        bias_correction1 = 1 - beta1**self.t
        bias_correction2 = 1 - beta2**self.t
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        for i, (p, g) in enumerate(zip(self._params, self._grads, strict=True)):
            m, v, denom, scratch = self._m[i], self._v[i], self._denom[i], self._scratch[i]
            if self.compiled and p.flags.c_contiguous and g.flags.c_contiguous:
                coupled = lam != 0 and not self._decoupled_weight_decay
                shrink = 1 - lr * lam if lam != 0 and self._decoupled_weight_decay else 1
                scalars = (lam if coupled else 0, shrink, 1 - beta1, beta2, 1 - beta2,
                           step_size, bias_correction2_sqrt, eps)
                scalars = tuple(map(p.dtype.type, scalars))
                parts = 1
                if p.size >= kernels.PARALLEL_ADAM_SIZE and kernels.parallel_regions():
                    parts = self.threads if self.threads is not None else kernels.usable_cores()
                if parts > 1:
                    kernels.adam_update_in_parts(p, g, m, v, *scalars, parts)
                else:
                    kernels.adam_update(p, g, m, v, *scalars)
                continue
            if lam != 0:
                if self._decoupled_weight_decay:
                    p *= 1 - lr * lam
                else:
                    g = self._decayed_gradient(i, p, g, lam)
            # torch's lerp(m, g, w) with w = 1 - beta1: m + w (g - m) for w < 0.5, else
            # g - (1 - w)(g - m), which keeps m = g exact at beta1 = 0
            weight = p.dtype.type(1 - beta1)
            np.subtract(g, m, out=scratch)
            if weight < 0.5:
                scratch *= weight
                m += scratch
            else:
                scratch *= p.dtype.type(1) - weight
                np.subtract(g, scratch, out=m)
            v *= beta2
            # (1 - beta2) g g multiplied left to right, as torch's addcmul
            np.multiply(g, 1 - beta2, out=scratch)
            scratch *= g
            v += scratch
            np.sqrt(v, out=denom)
            denom /= bias_correction2_sqrt
            denom += eps
            # step_size m / denom multiplied then divided, as torch's addcdiv
            np.multiply(m, step_size, out=scratch)
            scratch /= denom
            p -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    The same step as :class:`Adam`, except that weight decay shrinks the parameters
    before the step, ``p = p (1 - lr lambda)``, rather than adding ``lambda p`` to the
    gradient, so the decay is not rescaled by Adam's ``1 / sqrt(v)``.

    Parameters
    ----------
    modules : list of modules
        Each with 1-D ``flat_params`` and ``flat_grads`` of one length P.
    lr : float, >= 0
    betas : (float, float), each in [0, 1)
    eps : float, >= 0
    weight_decay : float, >= 0
        Fraction of the parameters removed per unit of learning rate.
    backend : {"auto", "numpy", "numba"}, threads : int or None
        As :class:`Adam`'s.
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        modules: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        backend: str = "auto",
        threads: int | None = None,
    ) -> None:
        super().__init__(modules, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         backend=backend, threads=threads)


def clip_grad_norm(modules, max_norm: float) -> float:
    """Rescale all gradients together so their global L2 norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the norm is taken over the concatenation of
    every module's ``flat_grads``, and every gradient is multiplied in place by
    ``min(max_norm / (norm + 1e-6), 1)``. A non-finite norm is not an error: it
    propagates into the gradients, as in PyTorch by default.

    Parameters
    ----------
    modules : a module, or a list of modules
        Each with a 1-D ``flat_grads``.
    max_norm : float, >= 0

    Returns
    -------
    float
        The global norm before clipping, worth logging to spot exploding gradients.
    """
    _check_at_least("max_norm", max_norm, 0.0)
    if hasattr(modules, "flat_grads"):
        modules = [modules]
    grads = [module.flat_grads for module in modules]
    if not grads:
        return 0.0
    # norm of the per-module norms, as torch; NumPy scalars keep the gradients' dtype
    total_norm = np.linalg.norm(np.array([np.linalg.norm(g) for g in grads]))
    clip_coef = np.minimum(max_norm / (total_norm + 1e-6), 1.0)
    with np.errstate(invalid="ignore"):  # inf * 0 = NaN, passed on as PyTorch does
        for g in grads:
            g *= clip_coef
    return float(total_norm)


class ReduceLROnPlateau:
    """Multiply the learning rate by ``factor`` when a metric stops improving.

    As ``torch.optim.lr_scheduler.ReduceLROnPlateau``. A metric improves on the best so
    far when it is lower (``mode="min"``) than ``best (1 - threshold)`` (``"rel"``) or
    ``best - threshold`` (``"abs"``); ``"max"`` mirrors this. After more than
    ``patience`` steps without improvement the rate becomes
    ``max(lr factor, min_lr)``, unless that changes it by ``eps`` or less, and the next
    ``cooldown`` steps count no bad steps.

    Parameters
    ----------
    optimizer : SGD, Adam or AdamW
        Anything with a settable ``lr``.
    mode : {"min", "max"}
        Whether a lower (loss) or higher (accuracy) metric is better.
    factor : float, in [0, 1)
    patience : int, >= 0
        Steps without improvement tolerated before reducing.
    threshold : float
    threshold_mode : {"rel", "abs"}
    cooldown : int, >= 0
    min_lr : float, >= 0
    eps : float
        Reductions smaller than this are skipped.

    Attributes
    ----------
    best : float
        Best metric seen.
    num_bad_epochs : int
        Steps since the last improvement (outside cooldown).
    cooldown_counter : int
        Steps of cooldown left.
    last_epoch : int
        Number of ``step`` calls.
    """

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}.")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}.")
        _check_in_unit_interval("factor", factor)
        _check_at_least("patience", patience, 0)
        _check_at_least("cooldown", cooldown, 0)
        _check_at_least("min_lr", min_lr, 0.0)
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.eps = eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def _is_better(self, metric: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return metric < self.best * (1.0 - self.threshold)
        if self.mode == "min":
            return metric < self.best - self.threshold
        if self.threshold_mode == "rel":
            return metric > self.best * (self.threshold + 1.0)
        return metric > self.best + self.threshold

    def step(self, metric: float) -> None:
        """Record this epoch's ``metric`` and reduce the optimizer's ``lr`` if it plateaued."""
        metric = float(metric)
        self.last_epoch += 1
        if self._is_better(metric):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old_lr = float(self.optimizer.lr)
            new_lr = max(old_lr * self.factor, self.min_lr)
            if old_lr - new_lr > self.eps:
                self.optimizer.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0


class CosineAnnealingLR:
    """Anneal the learning rate along a cosine from its initial value to ``eta_min``.

    As ``torch.optim.lr_scheduler.CosineAnnealingLR``: after ``t`` steps the rate is
    close to ``eta_min + (lr_0 - eta_min) (1 + cos(pi t / T_max)) / 2``, reaching
    ``eta_min`` at ``t = T_max`` and rising again after it (no restarts). It is
    computed with PyTorch's recursive update, from the current ``lr``, so the sequence
    equals PyTorch's to the last bit and follows changes made to ``lr`` by others.

    Parameters
    ----------
    optimizer : SGD, Adam or AdamW
        Anything with a settable ``lr``; its value now is ``lr_0``.
    T_max : int, >= 1
        Steps from ``lr_0`` down to ``eta_min``.
    eta_min : float

    Attributes
    ----------
    base_lr : float
        ``lr_0``.
    last_epoch : int
        Number of ``step`` calls.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0) -> None:
        _check_at_least("T_max", T_max, 1)
        self.optimizer = optimizer
        self.T_max = T_max
        self.eta_min = eta_min
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def step(self) -> None:
        """Advance one step and set the optimizer's ``lr``."""
        self.last_epoch += 1
        t, T, eta_min, lr = self.last_epoch, self.T_max, self.eta_min, self.optimizer.lr
        if (t - 1 - T) % (2 * T) == 0:
            # one step past the bottom the ratio below would divide by 1 + cos(pi) = 0
            lr = lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        else:
            ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
            lr = ratio * (lr - eta_min) + eta_min
        self.optimizer.lr = lr
