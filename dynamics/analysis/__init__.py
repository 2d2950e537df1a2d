"""Analysis of models and results: metrics, equilibria and stability, symbolic results."""
