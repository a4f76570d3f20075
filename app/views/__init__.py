"""Views that belong to one page or feature, each a module (or, for Inside the Transformer,
a package). A view uses the kit and serving, never another view."""
