"""Inside the Transformer: its blocks and lecture path, what each block draws, the
architecture diagram and beam tree, and the lecture path as an offline handout."""
