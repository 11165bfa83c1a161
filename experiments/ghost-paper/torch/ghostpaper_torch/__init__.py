"""The ghost-paper experiments in PyTorch, mirroring the burn crate beside this folder.

The runs use the same data, splits, seeded initial weights, batch orders, learning rates and
spike timing as ``experiments/ghost-paper/src`` (the seeded generator is the workspace's
SplitMix64, ported in :mod:`ghostpaper_torch.data`), and the controller is
``softkit.ghost.torch.GhostOptimizer`` (an exact forward-mode JVP, where burn uses central
differences).

- :mod:`ghostpaper_torch.data`: the digits file, SplitMix64, the splits and the batch order.
- :mod:`ghostpaper_torch.models`: the four classifiers and their seeded initialisation.
- :mod:`ghostpaper_torch.train`: one training run and the two spike experiments as lists of runs.
- :mod:`ghostpaper_torch.plots`: ``lr_spike.png`` and ``one_step_spike.png``.

The command line is ``run.py`` in the folder above.
"""
