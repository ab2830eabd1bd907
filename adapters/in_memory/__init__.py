"""Complete in-process implementations of the ports: the embedded default and the test doubles."""
