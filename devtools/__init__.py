"""Developer tools that are not part of the program: the mutation run."""
