"""Shared test configuration. This folder is on sys.path, so tests import helpers such as ``bad_corpus``."""
