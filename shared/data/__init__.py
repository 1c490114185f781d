"""Reference data shipped inside the package, so installed code (the container image) finds it.

`countries.csv` is a byte-identical copy of the project's reference list (`/work/shared/data/`
in the development tree); tests/integration/test_seed.py fails when the two drift apart.
"""
