"""Notebooks (jupytext percent sources paired with .ipynb). A package only so that pytest imports this
directory's conftest as notebooks.conftest, apart from tests/conftest."""
