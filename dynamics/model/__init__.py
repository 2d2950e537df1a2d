"""Symbolic definition of the model: parameters, mechanisms, equations, assembly."""
