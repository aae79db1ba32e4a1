"""HTTP API tests. A package (not a bare folder) so that the package-scoped server fixture stops with it."""
