"""Every Numba-compiled function of accelsim (timing kernels), with plain-numpy twins in ``reference``.

Rules: arrays in, arrays out; int64/float64 only (a new signature recompiles); no jitted call across files.
"""
