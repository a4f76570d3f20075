"""Present to a room: the sidebar panel (publish a lecturer's view, follow it) and the store
the rooms live in (memory, or Redis)."""
