"""Benchmarks: ``parse`` (``python -m bot bench parse``), ``conversation`` (``bench conversation``)
and ``kg`` (``python -m bot kg bench``)."""
