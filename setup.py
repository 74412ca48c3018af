"""Packages and package data (the rest of the metadata is in pyproject.toml).

The bundled scenarios stay in ``scenarios/`` in the repository (docs, tests and CI
use those paths) and ship in the wheel as the data of the package
``simulator.bundled``, which this mapping points at that folder; the code finds
them with ``importlib.resources`` (``simulator/scenario/bundled.py``).
pyproject.toml cannot map one package onto another folder next to ``find``.
``red-team/`` ships too: the bundled suite ``red-team`` runs its files.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["simulator*", "detectors*"]), "simulator.bundled"],
    package_dir={"simulator.bundled": "scenarios"},
    package_data={"simulator": ["py.typed"], "simulator.bundled": ["*.yaml", "suites/*.yaml", "red-team/*.yaml"]},
)
