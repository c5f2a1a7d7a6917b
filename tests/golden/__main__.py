"""`python -m tests.golden`: rewrite the expected output of the golden site."""

from tests.golden import EXPECTED, regenerate

regenerate()
print(f"rewrote {EXPECTED}; review `git diff --stat -- {EXPECTED}` before committing")
