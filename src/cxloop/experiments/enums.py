from enum import StrEnum


class ExperimentStatus(StrEnum):
    """running: customers are assigned and results accrue until the end date; stopped: ended by hand or by date."""

    running = "running"
    stopped = "stopped"
