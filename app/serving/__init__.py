"""What serves the pages: the models loaded once, the caches, the slots and jobs that bound
what a server runs, the page list."""
