"""Training, kept apart from everything that serves: one fine-tuning loop for the adapters
(loop), one module per task (translation, ner, qa), checkpoint averaging, the app's upload
fine-tuning (upload) and the toy tasks of "Watch attention form" (toy)."""
