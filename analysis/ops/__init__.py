"""Running Sabor: metrics, logs, health, background jobs and scoring runs."""
