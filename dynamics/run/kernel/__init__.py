"""The compiled integrators (numba, the ``[fast]`` extra): building and caching the kernels
(:mod:`dynamics.run.kernel.build`), the integrators themselves
(:mod:`dynamics.run.kernel.body`) and the elementary functions they share with the
generated rate (:mod:`dynamics.run.kernel.maths`)."""
