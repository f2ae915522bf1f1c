#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Runs one test class inside `mlcore-emu run` (see run_under_preload.py):

    preload_child.py MODULE CLASS
"""
import importlib
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
import unittest

import preload_harness  # noqa: F401  (patches the harness first)


def main():
    module_name, class_name = sys.argv[1], sys.argv[2]
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    if preload_harness.mark_fuse_only(module_name, cls):
        print(f"{module_name}.{class_name}: skipped: "
              f"{preload_harness.FUSE_ONLY[f'{module_name}.{class_name}']}")
        return 0
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
