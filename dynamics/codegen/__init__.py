"""Code generation: one symbolic model, printed as numeric code. The unrolled rate and
Jacobian (:mod:`dynamics.codegen.compile`) and the array program for large systems
(:mod:`dynamics.codegen.arraycode`), compiled once and cached on disk."""
