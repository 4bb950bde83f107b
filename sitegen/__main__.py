"""Allow `python -m sitegen`."""

from sitegen.cli import command

# The guard matters: worker processes started with "spawn" import this module again.
if __name__ == "__main__":
    command()
