"""Built-in processors: examples of the contract, and what the demo and tests run."""
