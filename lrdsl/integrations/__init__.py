"""Adapters for training frameworks, each an optional import.

``import lrdsl`` never imports a framework. Import the adapter you need:
``lrdsl.integrations.torch`` (PyTorch) or ``lrdsl.integrations.paddle``
(PaddlePaddle).
"""
