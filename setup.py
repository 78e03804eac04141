"""The optional C extension (the PEP 621 metadata is in pyproject.toml).

``mysqlproto._rowsc`` decodes row images (and binary JSON) faster than the generated
Python decoders; ``optional=True``: without a compiler the build warns and the package installs
without it (mysqlproto.rows then keeps to its Python decoders).
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("mysqlproto._rowsc", ["mysqlproto/_rowsc.c", "mysqlproto/_jsonb.c"],
              depends=["mysqlproto/_jsonb.h"], optional=True),
])
