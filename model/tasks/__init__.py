"""The tasks the app runs live: translation, named entities, question answering. Each module
holds its runner, its one decoder (used by the page, training's validation and evaluation)
and its scores."""
