"""Developer tools that ship with the package (importable, so tests and the benchmark use them
without loading files by path): the synthetic export generator and a local Label Studio server.
`scripts/` keeps thin command-line wrappers around them."""
