"""Homepost: a static site generator for people who publish on their own site first."""

__version__ = "0.1.0"
