"""The build's stages, read top to bottom: read, collect, attach site data, plan, render, write."""
