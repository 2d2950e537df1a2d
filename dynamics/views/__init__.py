"""What a reader sees: publication figures (:mod:`dynamics.views.plotting`,
:mod:`dynamics.views.figures`), tables for notebooks (:mod:`dynamics.views.display`) and the
interactive explorer (:mod:`dynamics.views.interactive`)."""
