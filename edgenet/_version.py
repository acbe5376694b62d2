__version__ = "0.1.0"  # also [project] version in pyproject.toml
