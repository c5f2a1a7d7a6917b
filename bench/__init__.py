"""The benchmark of Homepost against Hugo and Pelican (not a test; see bench/README.md)."""
