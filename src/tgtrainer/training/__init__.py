"""Training: feedback, datasets and fine-tuning (offline on the bundled model, or remote)."""
