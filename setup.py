"""Packaging glue that pyproject.toml alone cannot express.

`resources/` sits at the top of the repository (the user's layout) but must travel with an installed
segstudio, so it is installed as the package `segstudio_resources`; segmodels.resources finds it
there, or in the source tree when run from a checkout.
"""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["app", "app.*", "segmodels", "segmodels.*"]) + ["segstudio_resources"],
    package_dir={"segstudio_resources": "resources"},
    package_data={"segstudio_resources": ["**/*"], "app": ["**/*.qss", "**/*.svg", "**/*.png"]},
    include_package_data=False,
)
