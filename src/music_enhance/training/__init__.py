"""Training: models, losses, adversarial steps, checkpoints, collaborative sampling."""
