"""The training loop pieces: typed config, DeepSpeed config, LR schedule, data order, loop.

Ray appears only in ``ray_loop`` (the adapter that ``TorchTrainer`` runs); the
rest runs in a plain process, which is how the tests and the single-process
baseline of the benchmark use it.
"""
