"""Hugging Face checkpoints: loading (the packaged MiniLM, LoRA adapters, the hub) and encoding."""
