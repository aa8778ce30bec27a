"""rrbench: benchmark suite and leaderboard for vision-language reward models in robotics."""

__version__ = "0.1.0"
