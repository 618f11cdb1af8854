"""Data in: long frames validated into a ``Panel`` of arrays, with one ``Frequency``."""

from rnncast.data.frames import infer_frequency, prepare
from rnncast.data.panel import Frequency, Panel

__all__ = ["Frequency", "Panel", "infer_frequency", "prepare"]
