"""Training: turning the dialogue log and the learned documents into fine-tuning data
(`dataset`, `from_docs`), and fine-tuning itself.

Importing this package loads no model and no training library.
"""
