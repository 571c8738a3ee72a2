"""Example policy shipped with the package: the demo and `targets init` start from it."""
