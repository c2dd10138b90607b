"""Pure: errors, record failures, the processor contract, partition values, batch stats,
ledger, audit and replay arithmetic, column names. Imports the standard library and
``jobs.core`` only (``tests/unit/test_layers.py`` enforces it)."""
