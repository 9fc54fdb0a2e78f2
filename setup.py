"""Build the optional compiled kernels (``wanamaker.attribution._kernels``).

Everything else is declared in ``pyproject.toml``. The extension is optional: without a C compiler
the install still succeeds and the attribution models use their numpy twins (same results, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "wanamaker.attribution._kernels",
            ["src/wanamaker/attribution/_kernels.c"],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        )
    ]
)
