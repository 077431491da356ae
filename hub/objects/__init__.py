"""Objects: what moved (a person, a car, a cat), found by a model run only where there is motion."""
