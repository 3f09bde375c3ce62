from setuptools import find_packages, setup

setup(
    name="tinyhttp",
    version="2.1.0",
    packages=find_packages("src"),
    package_dir={"": "src"},
    install_requires=[
        "requests>=2.31",
        'click==8.1.7',
        "rich",
    ],
    extras_require={"test": ["pytest>=7", "responses"]},
)
