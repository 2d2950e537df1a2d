"""Running a model: the front door :func:`dynamics.run.front.simulate`, the scipy solver
(:mod:`dynamics.run.solver`), many members at once (:mod:`dynamics.run.ensemble`),
interventions (:mod:`dynamics.run.interventions`) and the compiled integrators
(:mod:`dynamics.run.kernel`)."""
